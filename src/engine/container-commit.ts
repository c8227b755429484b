// docker commit: a container's writable layer becomes a new image on top of
// the container's own, with the container's config (or the one sent),
// Dockerfile-style changes on top and docker's merge rules filling the rest.
import type { ContainerDefaults } from '../image/types.ts';
import { applyChanges } from '../image/changes.ts';
import { normalizeTagged, parseReference } from '../image/reference.ts';
import { badRequest, conflict } from '../util/errors.ts';
import { containerAttrs, freeze } from './outside.ts';
import type { Engine } from './engine.ts';
import { isRuntimePath } from './runtime-paths.ts';
import type { ContainerConfig } from './types.ts';
import { envKey, mergeHealth } from './container-config.ts';

export interface CommitRequest {
  container: string;
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  /** Freeze a running container while its layer is read (docker's default). */
  pause: boolean;
  changes: string[];
  /** The image's config instead of the container's (the API's body); changes and the merge still apply. */
  config: ContainerConfig | null;
}

/** Commits and returns the new image's ID. */
export async function commitContainer(engine: Engine, req: CommitRequest): Promise<string> {
  const ref = reference(req.repo, req.tag);
  return engine.withFs(req.container, async (_fs, c) => {
    if (c.record.State.Dead) throw conflict(`You cannot commit container ${c.id} which is Dead`);
    const config = commitConfig(c.record.Config, req.config, req.changes);
    const thaw = req.pause ? await freeze(engine, c) : null;
    if (thaw) engine.events.emit('container', 'pause', c.id, containerAttrs(c));
    try {
      // The runtime's own paths are left out as the walk finds them: nothing of them is read or packed.
      const layer = engine.snapshots.diff(c.id, isRuntimePath);
      const history = { created_by: (c.record.Config.Cmd ?? []).join(' '), comment: req.comment || undefined, author: req.author || undefined };
      // The snapshot is unpacked after the reply: a container made from the image waits for it.
      const id = await engine.images.commitLayer(c.record.Image, layer, config, history, ref ? [ref] : [], 'later');
      engine.events.emit('container', 'commit', c.id, containerAttrs(c, {
        comment: req.comment ?? '', imageID: id, imageRef: ref ? normalizeTagged(ref) : '',
      }));
      return id;
    } finally {
      if (thaw) {
        await thaw();
        engine.events.emit('container', 'unpause', c.id, containerAttrs(c));
      }
    }
  });
}

/** repo[:tag] as docker's RepoTagReference checks it; none without a repository. */
function reference(repo: string | undefined, tag: string | undefined): string | undefined {
  if (!repo) return undefined;
  const ref = tag ? `${repo}:${tag}` : repo;
  try {
    parseReference(ref);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  return ref;
}

/**
 * The committed image's config, as dockerd builds it: the request's config
 * (else the container's) with the changes applied, then what it leaves
 * unset taken from the container's.
 */
export function commitConfig(container: ContainerConfig, requested: ContainerConfig | null, changes: string[]): ContainerConfig {
  const out = applyChanges(requested ?? container, changes) as ContainerConfig;
  out.User ||= container.User;
  out.ExposedPorts = out.ExposedPorts && Object.keys(out.ExposedPorts).length ? { ...container.ExposedPorts, ...out.ExposedPorts } : container.ExposedPorts;
  out.Env = out.Env?.length ? [...out.Env, ...(container.Env ?? []).filter((e) => !out.Env!.some((o) => envKey(o) === envKey(e)))] : container.Env;
  out.Labels = { ...container.Labels, ...out.Labels };
  if (!out.Entrypoint?.length) {
    if (!out.Cmd?.length) out.Cmd = container.Cmd;
    if (out.Entrypoint == null) out.Entrypoint = container.Entrypoint;
  }
  out.Healthcheck = mergeHealth(out.Healthcheck, container.Healthcheck);
  out.WorkingDir ||= container.WorkingDir;
  out.Volumes = out.Volumes && Object.keys(out.Volumes).length ? { ...out.Volumes, ...container.Volumes } : container.Volumes;
  out.StopSignal ||= container.StopSignal;
  return stripUndefined(out);
}

function stripUndefined<T extends ContainerDefaults>(cfg: T): T {
  for (const k of Object.keys(cfg) as (keyof T)[]) if (cfg[k] === undefined) delete cfg[k];
  return cfg;
}
