// `docker commit --change` / `docker import --change`: the Dockerfile
// instructions moby's BuildFromConfig accepts, applied to an image config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChanges } from '../../src/image/changes.ts';
import type { ContainerDefaults } from '../../src/image/types.ts';
import { ApiError } from '../../src/util/errors.ts';

const badRequest = (re?: RegExp) => (err: unknown): boolean => {
  assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
  assert.equal(err.status, 400);
  if (re) assert.match(err.message, re);
  return true;
};

const base: ContainerDefaults = {
  Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG=C.UTF-8'],
  Cmd: ['sh'],
  WorkingDir: '/srv',
  Labels: { keep: 'yes' },
};

test('CMD: JSON form is the argv, shell form runs under /bin/sh -c', () => {
  assert.deepEqual(applyChanges(base, ['CMD ["nginx", "-g", "daemon off;"]']).Cmd, ['nginx', '-g', 'daemon off;']);
  assert.deepEqual(applyChanges(base, ['CMD echo "hello world" && ls']).Cmd, ['/bin/sh', '-c', 'echo "hello world" && ls']);
  assert.deepEqual(applyChanges(base, ['CMD []']).Cmd, []);
});

test('CMD: text that is not JSON is shell form; a JSON array of other than strings is refused, as the builder refuses it', () => {
  assert.deepEqual(applyChanges(base, ['CMD [not json']).Cmd, ['/bin/sh', '-c', '[not json']);
  assert.throws(() => applyChanges(base, ['CMD [1, 2]']), badRequest(/^dockerfile parse error line 1: when using JSON array syntax, arrays must be comprised of strings only$/));
});

test('CMD shell form uses the image Shell when it has one', () => {
  assert.deepEqual(applyChanges({ ...base, Shell: ['/bin/bash', '-o', 'pipefail', '-c'] }, ['CMD echo hi']).Cmd, ['/bin/bash', '-o', 'pipefail', '-c', 'echo hi']);
});

test('ENTRYPOINT: both forms', () => {
  assert.deepEqual(applyChanges(base, ['ENTRYPOINT ["/entry.sh", "--flag"]']).Entrypoint, ['/entry.sh', '--flag']);
  assert.deepEqual(applyChanges(base, ['ENTRYPOINT exec /entry.sh']).Entrypoint, ['/bin/sh', '-c', 'exec /entry.sh']);
});

test('instructions are case-insensitive', () => {
  const out = applyChanges(base, ['cmd ["a"]', 'Entrypoint ["b"]', 'env X=1']);
  assert.deepEqual(out.Cmd, ['a']);
  assert.deepEqual(out.Entrypoint, ['b']);
  assert.ok(out.Env!.includes('X=1'));
});

test('ENV: key=value pairs replace by key and add new ones', () => {
  const out = applyChanges(base, ['ENV LANG=en_US.UTF-8 A=1 B=']);
  assert.deepEqual(out.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG=en_US.UTF-8', 'A=1', 'B=']);
});

test('ENV: the legacy "ENV key value with spaces" form', () => {
  const out = applyChanges(base, ['ENV GREETING hello big world']);
  assert.ok(out.Env!.includes('GREETING=hello big world'), out.Env!.join(' | '));
});

test('ENV: quoted values lose their quotes', () => {
  const out = applyChanges(base, ['ENV MSG="hello world" Q=\'single quoted\' V="1.0"']);
  assert.ok(out.Env!.includes('MSG=hello world'), out.Env!.join(' | '));
  assert.ok(out.Env!.includes('Q=single quoted'), out.Env!.join(' | '));
  assert.ok(out.Env!.includes('V=1.0'), out.Env!.join(' | '));
});

test('ENV: a key without a value is refused ("ENV must have two arguments")', () => {
  assert.throws(() => applyChanges(base, ['ENV LONELY']), badRequest(/must have two arguments/));
});

test('ENV with no argument and with a blank name are refused', () => {
  assert.throws(() => applyChanges(base, ['ENV']), badRequest());
  assert.throws(() => applyChanges(base, ['ENV A=1 =2']), badRequest(/can not be blank/));
});

test('ENV expands $VARIABLES from the image environment', () => {
  const out = applyChanges(base, ['ENV PATH=/opt/bin:$PATH']);
  assert.ok(out.Env!.includes('PATH=/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'), out.Env!.join(' | '));
});

test('LABEL: pairs merge into the existing labels', () => {
  const out = applyChanges(base, ['LABEL a=1 b=two']);
  assert.deepEqual(out.Labels, { keep: 'yes', a: '1', b: 'two' });
  assert.deepEqual(applyChanges(base, ['LABEL keep=no']).Labels, { keep: 'no' });
});

test('LABEL: quoted values lose their quotes', () => {
  assert.deepEqual(applyChanges({}, ['LABEL version="1.0" description="a web app"']).Labels, { version: '1.0', description: 'a web app' });
});

test('EXPOSE: ports default to /tcp, protocols are kept', () => {
  const out = applyChanges(base, ['EXPOSE 80 443/tcp 53/udp']);
  assert.deepEqual(Object.keys(out.ExposedPorts!).sort(), ['443/tcp', '53/udp', '80/tcp']);
  const more = applyChanges(out, ['EXPOSE 8080']);
  assert.deepEqual(Object.keys(more.ExposedPorts!).sort(), ['443/tcp', '53/udp', '80/tcp', '8080/tcp']);
});

test('EXPOSE: a port range exposes each port', () => {
  const out = applyChanges({}, ['EXPOSE 8000-8002/udp']);
  assert.deepEqual(Object.keys(out.ExposedPorts!).sort(), ['8000/udp', '8001/udp', '8002/udp']);
});

test('VOLUME: shell and JSON forms', () => {
  assert.deepEqual(applyChanges({}, ['VOLUME /data /logs']).Volumes, { '/data': {}, '/logs': {} });
  assert.deepEqual(applyChanges({}, ['VOLUME ["/a", "/b"]']).Volumes, { '/a': {}, '/b': {} });
  assert.deepEqual(applyChanges({ Volumes: { '/x': {} } }, ['VOLUME /y']).Volumes, { '/x': {}, '/y': {} });
});

test('VOLUME: a JSON path with a space stays one volume', () => {
  assert.deepEqual(applyChanges({}, ['VOLUME ["/my data"]']).Volumes, { '/my data': {} });
});

test('USER, WORKDIR and STOPSIGNAL set their fields', () => {
  const out = applyChanges(base, ['USER app:app', 'WORKDIR /app', 'STOPSIGNAL SIGQUIT']);
  assert.equal(out.User, 'app:app');
  assert.equal(out.WorkingDir, '/app');
  assert.equal(out.StopSignal, 'SIGQUIT');
});

test('WORKDIR: a relative path is relative to the current one', () => {
  assert.equal(applyChanges(base, ['WORKDIR sub']).WorkingDir, '/srv/sub');
  assert.equal(applyChanges({}, ['WORKDIR sub']).WorkingDir, '/sub');
});

test('STOPSIGNAL: an invalid signal is refused', () => {
  assert.throws(() => applyChanges(base, ['STOPSIGNAL SIGNOPE']), badRequest());
});

test('ONBUILD: triggers are stored without the ONBUILD keyword, in order', () => {
  const out = applyChanges({ OnBuild: ['RUN one'] }, ['ONBUILD RUN echo hi', 'ONBUILD COPY . /app']);
  assert.deepEqual(out.OnBuild, ['RUN one', 'RUN echo hi', 'COPY . /app']);
});

test('HEALTHCHECK is an accepted change', () => {
  const out = applyChanges(base, ['HEALTHCHECK --interval=5s CMD curl -f http://localhost/']);
  assert.deepEqual(out.Healthcheck?.Test, ['CMD-SHELL', 'curl -f http://localhost/']);
  assert.equal(out.Healthcheck?.Interval, 5e9);
});

test('HEALTHCHECK NONE disables the image\'s check; options are Go durations', () => {
  const withCheck = applyChanges(base, ['HEALTHCHECK --interval=1m30s --retries=3 CMD ["true"]']);
  assert.deepEqual(withCheck.Healthcheck, { Test: ['CMD', 'true'], Interval: 90e9, Retries: 3 });
  assert.deepEqual(applyChanges(withCheck, ['HEALTHCHECK NONE']).Healthcheck, { Test: ['NONE'] });
  assert.throws(() => applyChanges(base, ['HEALTHCHECK --interval=soon CMD true']), badRequest(/^dockerfile parse error line 1: time: invalid duration "soon"$/));
});

test('ENTRYPOINT drops the Cmd unless a CMD change came first, as in a build', () => {
  const withCmd = { ...base, Cmd: ['serve'] };
  assert.equal(applyChanges(withCmd, ['ENTRYPOINT ["/entry"]']).Cmd, null);
  assert.deepEqual(applyChanges(withCmd, ['CMD ["run"]', 'ENTRYPOINT ["/entry"]']).Cmd, ['run']);
});

test('every command is checked before any applies; changes are one Dockerfile, so a continuation spans them', () => {
  assert.throws(() => applyChanges(base, ['ENV A=1', 'RUN x']), badRequest(/^run is not a valid change command$/));
  assert.deepEqual(applyChanges(base, ['LABEL a=1 \\', 'b=2']).Labels, { keep: 'yes', a: '1', b: '2' });
});

test('instructions that are not config changes are refused with 400', () => {
  for (const c of ['FROM busybox', 'RUN echo hi', 'COPY . /', 'ADD x y', 'ARG A=1', 'MAINTAINER me', 'SHELL ["/bin/bash", "-c"]', 'BOGUS x']) {
    assert.throws(() => applyChanges(base, [c]), badRequest(/is not a valid change command/), c);
  }
  assert.throws(() => applyChanges(base, ['!!!']), badRequest());
});

test('changes apply in order and the input is not modified', () => {
  const before = structuredClone(base);
  const out = applyChanges(base, ['CMD ["a"]', 'CMD ["b"]', 'ENV A=1', 'ENV A=2']);
  assert.deepEqual(out.Cmd, ['b']);
  assert.deepEqual(out.Env!.filter((e) => e.startsWith('A=')), ['A=2']);
  assert.deepEqual(base, before);
  assert.deepEqual(applyChanges(base, []), base);
});
