// Config-only instructions: their effect on the image config and the
// history line moby's classic builder (20.10, the API 1.41 daemon) writes
// for each (builder/dockerfile/dispatchers.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyConfigStep, commandOf, exposedPorts, goDuration, goQuoteRune, healthcheckText, nopCreatedBy, runCreatedBy, workdirOf,
  type ConfigStep, type StageConfig,
} from '../../src/build/image-config.ts';
import { parseDockerfile } from '../../src/build/dockerfile-parser.ts';
import { parseInstructions, type HealthcheckInstruction } from '../../src/build/instructions.ts';
import type { ContainerDefaults } from '../../src/image/types.ts';

const start = (config: ContainerDefaults = {}, cmdSet = false): StageConfig => ({ config, cmdSet });

/** Applies the steps in order; returns the final state and every history line. */
function apply(steps: ConfigStep[], from: StageConfig = start()): { state: StageConfig; history: string[] } {
  let state = from;
  const history: string[] = [];
  for (const step of steps) {
    const next = applyConfigStep(state, step);
    state = next.state;
    history.push(nopCreatedBy(state.config, next.comment));
  }
  return { state, history };
}

const healthcheck = (line: string): HealthcheckInstruction =>
  parseInstructions(parseDockerfile(`FROM scratch\n${line}\n`))[1] as HealthcheckInstruction;

test('ENV sets and replaces variables in order; history is `ENV k=v k2=v2`', () => {
  const { state, history } = apply([
    { kind: 'env', pairs: [{ key: 'A', value: '1' }, { key: 'B', value: 'two words' }] },
    { kind: 'env', pairs: [{ key: 'A', value: '3' }] },
  ], start({ Env: ['PATH=/bin'] }));
  assert.deepEqual(state.config.Env, ['PATH=/bin', 'A=3', 'B=two words']);
  assert.deepEqual(history, ['/bin/sh -c #(nop)  ENV A=1 B=two words', '/bin/sh -c #(nop)  ENV A=3']);
});

test('LABEL merges into the inherited labels', () => {
  const { state, history } = apply([{ kind: 'label', pairs: [{ key: 'b', value: 'x y' }, { key: 'a', value: '2' }] }], start({ Labels: { a: '1', c: '3' } }));
  assert.deepEqual(state.config.Labels, { a: '2', c: '3', b: 'x y' });
  assert.deepEqual(history, ['/bin/sh -c #(nop)  LABEL b=x y a=2']);
});

test('CMD: shell form through the shell, exec form as written; history is Go %q', () => {
  const shell = apply([{ kind: 'cmd', command: ['echo "hi"'], shell: true }]);
  assert.deepEqual(shell.state.config.Cmd, ['/bin/sh', '-c', 'echo "hi"']);
  assert.equal(shell.state.cmdSet, true);
  assert.deepEqual(shell.history, ['/bin/sh -c #(nop)  CMD ["/bin/sh" "-c" "echo \\"hi\\""]']);
  const exec = apply([{ kind: 'cmd', command: ['cat', 'out.txt'], shell: false }]);
  assert.deepEqual(exec.history, ['/bin/sh -c #(nop)  CMD ["cat" "out.txt"]']);
});

test('ENTRYPOINT resets an inherited CMD, but not one set in this stage', () => {
  const inherited = apply([{ kind: 'entrypoint', command: ['/app'], shell: false }], start({ Cmd: ['sh'] }));
  assert.equal(inherited.state.config.Cmd, null);
  assert.deepEqual(inherited.state.config.Entrypoint, ['/app']);
  assert.deepEqual(inherited.history, ['/bin/sh -c #(nop)  ENTRYPOINT ["/app"]']);

  const own = apply([
    { kind: 'cmd', command: ['--help'], shell: false },
    { kind: 'entrypoint', command: ['/app'], shell: false },
  ], start({ Cmd: ['sh'] }));
  assert.deepEqual(own.state.config.Cmd, ['--help']);

  const after = apply([
    { kind: 'entrypoint', command: ['/app'], shell: false },
    { kind: 'cmd', command: ['-v'], shell: false },
  ], start({ Cmd: ['sh'] }));
  assert.deepEqual([after.state.config.Entrypoint, after.state.config.Cmd], [['/app'], ['-v']]);

  // `CMD []` is not a CMD for this rule (moby sets cmdSet only for a non-empty command line).
  const empty = apply([
    { kind: 'cmd', command: [], shell: false },
    { kind: 'entrypoint', command: ['/app'], shell: false },
  ], start({ Cmd: ['sh'] }));
  assert.equal(empty.state.config.Cmd, null);

  const shellForm = apply([{ kind: 'entrypoint', command: ['exec /app'], shell: true }]);
  assert.deepEqual(shellForm.state.config.Entrypoint, ['/bin/sh', '-c', 'exec /app']);
});

test('SHELL changes how later shell forms run and how history lines start', () => {
  const { state, history } = apply([
    { kind: 'shell', shell: ['/bin/bash', '-o', 'pipefail', '-c'] },
    { kind: 'cmd', command: ['echo hi'], shell: true },
  ]);
  assert.deepEqual(state.config.Shell, ['/bin/bash', '-o', 'pipefail', '-c']);
  assert.deepEqual(state.config.Cmd, ['/bin/bash', '-o', 'pipefail', '-c', 'echo hi']);
  assert.deepEqual(history, [
    '/bin/bash -o pipefail -c #(nop)  SHELL [/bin/bash -o pipefail -c]',
    '/bin/bash -o pipefail -c #(nop)  CMD ["/bin/bash" "-o" "pipefail" "-c" "echo hi"]',
  ]);
  assert.deepEqual(commandOf({ Shell: ['pwsh', '-c'] }, ['dir'], true), ['pwsh', '-c', 'dir']);
  assert.deepEqual(commandOf({ Shell: ['pwsh', '-c'] }, ['a', 'b'], false), ['a', 'b']);
});

test('WORKDIR: relative to the previous one, cleaned', () => {
  assert.equal(workdirOf(undefined, 'app'), '/app');
  assert.equal(workdirOf('', 'app'), '/app');
  assert.equal(workdirOf('/a', 'b/c'), '/a/b/c');
  assert.equal(workdirOf('/a/b', '../c'), '/a/c');
  assert.equal(workdirOf('/a', '/x/./y/'), '/x/y');
  assert.equal(workdirOf('/a', '../../..'), '/');
  const { state, history } = apply([{ kind: 'workdir', value: '/srv' }, { kind: 'workdir', value: 'app/' }]);
  assert.equal(state.config.WorkingDir, '/srv/app');
  assert.deepEqual(history, ['/bin/sh -c #(nop) WORKDIR /srv', '/bin/sh -c #(nop) WORKDIR /srv/app']);
});

test('EXPOSE: ports, protocols and ranges as config keys; history keeps the words', () => {
  assert.deepEqual(exposedPorts(['80']), ['80/tcp']);
  assert.deepEqual(exposedPorts(['53/udp', '443/TCP']), ['53/udp', '443/tcp']);
  assert.deepEqual(exposedPorts(['8000-8002']), ['8000/tcp', '8001/tcp', '8002/tcp']);
  assert.deepEqual(exposedPorts(['7000-7001/udp']), ['7000/udp', '7001/udp']);
  assert.throws(() => exposedPorts(['http']), /invalid containerPort: http/);
  assert.throws(() => exposedPorts(['9-8']), /invalid range/);
  const { state, history } = apply([{ kind: 'expose', ports: ['443', '80/udp', '8000-8001'] }], start({ ExposedPorts: { '22/tcp': {} } }));
  assert.deepEqual(Object.keys(state.config.ExposedPorts ?? {}).sort(), ['22/tcp', '443/tcp', '80/udp', '8000/tcp', '8001/tcp']);
  assert.deepEqual(history, ['/bin/sh -c #(nop)  EXPOSE 443 80/udp 8000-8001']);
});

test('VOLUME: Go %v of the list, unquoted', () => {
  const { state, history } = apply([{ kind: 'volume', paths: ['/data', '/var/log'] }], start({ Volumes: { '/old': {} } }));
  assert.deepEqual(state.config.Volumes, { '/old': {}, '/data': {}, '/var/log': {} });
  assert.deepEqual(history, ['/bin/sh -c #(nop)  VOLUME [/data /var/log]']);
});

test('USER, STOPSIGNAL, MAINTAINER', () => {
  const { state, history } = apply([
    { kind: 'user', value: 'app:staff' }, { kind: 'stopsignal', value: 'SIGQUIT' }, { kind: 'maintainer', value: 'Jo <jo@example.com>' },
  ]);
  assert.equal(state.config.User, 'app:staff');
  assert.equal(state.config.StopSignal, 'SIGQUIT');
  assert.deepEqual(history, [
    '/bin/sh -c #(nop)  USER app:staff', '/bin/sh -c #(nop)  STOPSIGNAL SIGQUIT', '/bin/sh -c #(nop)  MAINTAINER Jo <jo@example.com>',
  ]);
  assert.equal(apply([{ kind: 'stopsignal', value: '9' }]).state.config.StopSignal, '9');
  assert.throws(() => apply([{ kind: 'stopsignal', value: 'SIGNOPE' }]), /Invalid signal: SIGNOPE/);
});

test('HEALTHCHECK: the config, zero values left out, and Go %q of moby 20.10\'s HealthConfig', () => {
  const { state, history } = apply([{ kind: 'healthcheck', check: healthcheck('HEALTHCHECK --interval=30s --timeout=3s --retries=3 CMD curl -f http://localhost/ || exit 1') }]);
  assert.deepEqual(state.config.Healthcheck, { Test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], Interval: 30e9, Timeout: 3e9, Retries: 3 });
  assert.deepEqual(history, ['/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "curl -f http://localhost/ || exit 1"] "30s" "3s" "0s" \'\\x03\'}']);

  const exec = apply([{ kind: 'healthcheck', check: healthcheck('HEALTHCHECK --start-period=1m30s CMD ["/bin/check", "-q"]') }]);
  assert.deepEqual(exec.state.config.Healthcheck, { Test: ['CMD', '/bin/check', '-q'], StartPeriod: 90e9 });
  assert.deepEqual(exec.history, ['/bin/sh -c #(nop)  HEALTHCHECK &{["CMD" "/bin/check" "-q"] "0s" "0s" "1m30s" \'\\x00\'}']);

  // --start-interval goes into the config; moby 20.10's struct has no such field, so its history line does not show it.
  const interval = apply([{ kind: 'healthcheck', check: healthcheck('HEALTHCHECK --start-period=5s --start-interval=2s CMD true') }]);
  assert.deepEqual(interval.state.config.Healthcheck, { Test: ['CMD-SHELL', 'true'], StartPeriod: 5e9, StartInterval: 2e9 });
  assert.deepEqual(interval.history, ['/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "true"] "0s" "0s" "5s" \'\\x00\'}']);

  const none = apply([{ kind: 'healthcheck', check: healthcheck('HEALTHCHECK NONE') }], start({ Healthcheck: { Test: ['CMD', 'x'] } }));
  assert.deepEqual(none.state.config.Healthcheck, { Test: ['NONE'] });
  assert.deepEqual(none.history, ['/bin/sh -c #(nop)  HEALTHCHECK &{["NONE"] "0s" "0s" "0s" \'\\x00\'}']);
});

test('Go formatting helpers: Duration.String and QuoteRune', () => {
  const cases: [number, string][] = [
    [0, '0s'], [1, '1ns'], [1500, '1.5µs'], [2_500_000, '2.5ms'], [1e9, '1s'], [1.5e9, '1.5s'],
    [60e9, '1m0s'], [90e9, '1m30s'], [3600e9, '1h0m0s'], [3723e9, '1h2m3s'], [300e9, '5m0s'],
  ];
  for (const [ns, text] of cases) assert.equal(goDuration(ns), text, `${ns}`);
  assert.equal(goQuoteRune(0), "'\\x00'");
  assert.equal(goQuoteRune(9), "'\\t'");
  assert.equal(goQuoteRune(10), "'\\n'");
  assert.equal(goQuoteRune(31), "'\\x1f'");
  assert.equal(goQuoteRune(65), "'A'");
  assert.equal(healthcheckText({ Test: ['CMD', 'a'], Retries: 12 }), '&{["CMD" "a"] "0s" "0s" "0s" \'\\f\'}');
});

test('ONBUILD appends the trigger as written', () => {
  const { state, history } = apply([{ kind: 'onbuild', expression: 'RUN echo "child"' }], start({ OnBuild: ['COPY . /app'] }));
  assert.deepEqual(state.config.OnBuild, ['COPY . /app', 'RUN echo "child"']);
  assert.deepEqual(history, ['/bin/sh -c #(nop)  ONBUILD RUN echo "child"']);
});

test('ARG: the config does not change; history shows keys and defaults', () => {
  const { state, history } = apply([{ kind: 'arg', args: [{ key: 'A' }, { key: 'B', value: 'x y' }] }], start({ Env: ['P=1'] }));
  assert.deepEqual(state.config, { Env: ['P=1'] });
  assert.deepEqual(history, ['/bin/sh -c #(nop)  ARG A B=x y']);
});

test('RUN history: `|N K=V … cmd`, only when build args reached the step', () => {
  assert.equal(runCreatedBy(['/bin/sh', '-c', 'make'], null), '/bin/sh -c make');
  assert.equal(runCreatedBy(['/bin/sh', '-c', 'make'], ['A=1', 'B=x y']), '|2 A=1 B=x y /bin/sh -c make');
  assert.equal(runCreatedBy(['make'], []), '|0 make');
});

test('a step never changes the state it was given', () => {
  const before = start({ Env: ['A=1'], Labels: { a: '1' } });
  const copy = structuredClone(before);
  apply([{ kind: 'env', pairs: [{ key: 'A', value: '2' }] }, { kind: 'label', pairs: [{ key: 'a', value: '2' }] }], before);
  assert.deepEqual(before, copy);
});
