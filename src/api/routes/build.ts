// POST /build, the classic builder's protocol (what `DOCKER_BUILDKIT=0
// docker build` speaks): the body is the context tar, the answer a stream
// of JSON messages, errors included once the stream has begun. What the
// parameters say of the RUN containers and --cache-from is read (and bad
// or unsupported values refused) in build-query.ts.
import { join } from 'node:path';
import type { Router } from '../router.ts';
import { COMMON_HEADERS, boolParam } from '../router.ts';
import type { ApiDeps } from '../server.ts';
import { badRequest, messageOf } from '../../util/errors.ts';
import { parseReference } from '../../image/reference.ts';
import { openContext } from '../../build/context.ts';
import { Build } from '../../build/executor.ts';
import { CacheFrom } from '../../build/cache-from.ts';
import { TargetError } from '../../build/stages.ts';
import { DockerfileError, dockerfileDetail } from '../../build/dockerfile-error.ts';
import { authForRegistry } from '../../distribution/auth.ts';
import { resolveRemote } from '../../distribution/endpoint.ts';
import { plainLine } from '../../distribution/progress.ts';
import { pullImage } from '../../distribution/pull.ts';
import { parseSecrets, SECRETS_HEADER } from '../../build/run-mounts.ts';
import { jsonObject, parseBuildQuery, stringList } from './build-query.ts';

export function buildRoutes(router: Router, { engine, buildCache, blobSources }: ApiDeps): void {
  router.add('POST', '/build', async ({ req, res, query }) => {
    const tags = query.getAll('t');
    for (const t of tags) {
      try {
        parseReference(t);
      } catch (err) {
        throw badRequest(`invalid tag ${JSON.stringify(t)}: ${messageOf(err)}`);
      }
    }
    const params = parseBuildQuery(query);
    const buildArgs = new Map(Object.entries(jsonObject(query.get('buildargs'), 'buildargs')).filter((e): e is [string, string] => typeof e[1] === 'string'));
    const labels = jsonObject(query.get('labels'), 'labels') as Record<string, string>;
    const noCacheStages = new Set(stringList(query.get('nocachefilter'), 'nocachefilter').map((n) => n.toLowerCase()));
    const quiet = boolParam(query, 'q');
    const dockerfileName = query.get('dockerfile') || 'Dockerfile';
    // berth's own: the secrets RUN --mount=type=secret reads (`berth build --secret`).
    const header = req.headers[SECRETS_HEADER];
    let secrets: Map<string, Buffer>;
    try {
      secrets = parseSecrets(Array.isArray(header) ? header.join(',') : header);
    } catch (err) {
      throw badRequest(messageOf(err));
    }
    // As moby: until something is written, a failure is the HTTP error
    // (a Dockerfile parse error is a 400 the CLI shows as "Error response
    // from daemon: …"); after that it is an errorDetail in the stream.
    let started = false;
    const send = (msg: object): void => {
      if (!started) res!.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/json' });
      started = true;
      res!.write(JSON.stringify(msg) + '\n');
    };
    const stream = (text: string): void => {
      if (!quiet && text) send({ stream: text });
    };
    const root = join(engine.opts.dataRoot, 'build');
    let context;
    try {
      context = await openContext(join(root, 'tmp'), req, dockerfileName);
      // As moby, a source that is not here is only logged.
      const cacheFrom = params.cacheFrom.length === 0 ? undefined : await CacheFrom.open(engine.images, params.cacheFrom, (ref, err) => {
        console.error(`berthd: --cache-from ${ref} skipped: ${messageOf(err)}`);
      });
      let build: Build;
      try {
        build = new Build(engine, {
          contextDir: context.dir, dockerfile: context.dockerfile, dockerfileName, buildArgs,
          target: query.get('target') || undefined, labels, networkMode: query.get('networkmode') || 'default',
          mountDir: join(root, 'mnt'), tmpDir: join(root, 'tmp'), cache: buildCache, noCache: boolParam(query, 'nocache'),
          noCacheStages, secrets, stepTimes: boolParam(query, 'steptimes'),
          run: { host: params.host, remove: params.remove }, cacheFrom,
          // Base images not here are pulled (every one with `pull`), with the build's registry credentials.
          pull: {
            always: boolParam(query, 'pull'),
            image: (ref, out, platform) => pullImage({
              ref, platform, auth: authForRegistry(req.headers['x-registry-config'], resolveRemote(ref).endpoint.domain),
              images: engine.images, sources: blobSources, progress: (m) => {
                const line = plainLine(m);
                if (line) out(line);
              },
            }),
          },
        }, stream);
      } catch (err) {
        throw badRequest(messageOf(err), dockerfileDetail(err));
      }
      const id = await build.run();
      send({ aux: { ID: id } });
      stream(`Successfully built ${id.replace(/^sha256:/, '').slice(0, 12)}\n`);
      for (const t of tags) {
        await engine.images.tag(id, t);
        stream(`Successfully tagged ${t.includes(':') && !t.endsWith(']') ? t : `${t}:latest`}\n`);
      }
      if (quiet) send({ stream: `${id}\n` });
    } catch (err) {
      // Beside moby's message, where in the Dockerfile it comes from (berth's own display shows it).
      if (!started) throw err instanceof TargetError || err instanceof DockerfileError ? badRequest(messageOf(err), dockerfileDetail(err)) : err;
      send({ errorDetail: { message: messageOf(err), ...dockerfileDetail(err) }, error: messageOf(err) });
    } finally {
      await context?.remove();
      if (started) res!.end();
    }
  });
}
