// The stage graph against the behaviour of BuildKit's dockerfile2llb:
// global ARGs in FROM, base stages resolved by name against earlier stages
// only, COPY --from by name, index or image, RUN --mount from=, the
// reachable set of a target, cycles and reads of stages not built yet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from '../../src/build/dockerfile-parser.ts';
import { parseInstructions } from '../../src/build/instructions.ts';
import { buildStageGraph, type GraphOptions, type StageGraph, TargetError } from '../../src/build/stages.ts';
import { DockerfileError } from '../../src/build/dockerfile-error.ts';

function graph(text: string, options: GraphOptions = {}): StageGraph {
  const parsed = parseDockerfile(text);
  return buildStageGraph(parseInstructions(parsed), { escapeToken: parsed.escapeToken, ...options });
}

const names = (list: { displayName: string }[]): string[] => list.map((s) => s.displayName);

function failure(fn: () => unknown): DockerfileError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DockerfileError) return err;
    throw err;
  }
  assert.fail('expected a DockerfileError');
}

test('one stage: the last stage is the target', () => {
  const g = graph('FROM alpine:3.19\nRUN echo hi\nCMD ["sh"]\n');
  assert.equal(g.stages.length, 1);
  const [s] = g.stages;
  assert.deepEqual([s.index, s.name, s.displayName, s.baseName, s.base], [0, undefined, 'stage-0', 'alpine:3.19', { kind: 'image', ref: 'alpine:3.19' }]);
  assert.deepEqual(s.instructions.map((i) => i.keyword), ['run', 'cmd']);
  assert.deepEqual(names(g.stagesFor()), ['stage-0']);
  assert.deepEqual(g.stages[0].dependsOn, []);
});

test('stages: bases, names, sources and dependencies', () => {
  const g = graph([
    'FROM golang:1.22 AS Build',          // 0
    'RUN go build -o /out/app',
    'FROM scratch AS assets',             // 1
    'COPY --from=nginx:alpine /etc/nginx /nginx',
    'FROM build AS test',                 // 2
    'RUN --mount=type=bind,from=assets,target=/a --mount=type=cache,target=/c go test',
    'FROM debian AS final',               // 3
    'COPY --from=BUILD /out/app /app',
    'COPY --from=1 /nginx /etc/nginx',
    'RUN --mount=from=busybox,target=/bb true',
  ].join('\n'));
  assert.deepEqual(g.stages.map((s) => [s.name, s.base]), [
    ['build', { kind: 'image', ref: 'golang:1.22' }],
    ['assets', { kind: 'scratch' }],
    ['test', { kind: 'stage', index: 0 }],
    ['final', { kind: 'image', ref: 'debian' }],
  ]);
  assert.deepEqual(g.stages.map((s) => s.dependsOn), [[], [], [0, 1], [0, 1]]);
  assert.deepEqual([...g.stages[1].sources], [[0, [{ kind: 'image', ref: 'nginx:alpine' }]]]);
  assert.deepEqual([...g.stages[3].sources], [
    [0, [{ kind: 'stage', index: 0 }]],
    [1, [{ kind: 'stage', index: 1 }]],
    [2, [{ kind: 'image', ref: 'busybox' }]],
  ]);
  assert.deepEqual(names(g.stagesFor()), ['build', 'assets', 'final']);
  assert.deepEqual(names(g.stagesFor('test')), ['build', 'assets', 'test']);
  assert.deepEqual(names(g.stagesFor('BUILD')), ['build']);
  assert.deepEqual(g.levels().map(names), [['build', 'assets'], ['final']]);
});

test('stages: only stages the target reaches are built', () => {
  const g = graph('FROM a AS one\nFROM b AS two\nFROM c AS three\nCOPY --from=one / /\nFROM three AS four\n');
  assert.deepEqual(names(g.stagesFor()), ['one', 'three', 'four']);
  assert.deepEqual(names(g.stagesFor('two')), ['two']);
  assert.deepEqual(g.levels('four').map(names), [['one'], ['three'], ['four']]);
  assert.deepEqual(g.levels('two').map(names), [['two']]);
});

test('stages: a base names an earlier stage exactly; later or differently cased names are images', () => {
  const g = graph('FROM later AS early\nFROM alpine AS later\nFROM LATER\nFROM later\n');
  assert.deepEqual(g.stages.map((s) => s.base), [
    { kind: 'image', ref: 'later' },
    { kind: 'image', ref: 'alpine' },
    { kind: 'image', ref: 'LATER' },
    { kind: 'stage', index: 1 },
  ]);
  // FROM x AS x is the image x, not a loop.
  assert.deepEqual(graph('FROM x AS x\n').stages[0].base, { kind: 'image', ref: 'x' });
  // A repeated name refers to the latest stage so far, and to the last for --from.
  const dup = graph('FROM a AS n\nFROM n AS m\nFROM b AS n\nFROM c\nCOPY --from=n / /\n');
  assert.deepEqual(dup.stages[1].base, { kind: 'stage', index: 0 });
  assert.deepEqual(dup.stages[3].dependsOn, [2]);
});

test('global args: ARGs before FROM, defaults, build args and platform args', () => {
  const text = [
    'ARG REGISTRY=docker.io',
    'ARG VERSION=3.19',
    'ARG IMAGE=${REGISTRY}/library/alpine:${VERSION}',
    'ARG UNSET',
    'FROM --platform=$BUILDPLATFORM ${IMAGE} AS base',
    'FROM ${UNSET:-busybox}:${VERSION}',
    'FROM --platform=$TARGETPLATFORM base',
  ].join('\n');
  const g = graph(text);
  assert.deepEqual(g.metaArgs.map((a) => a.args.map((x) => x.key)), [['REGISTRY'], ['VERSION'], ['IMAGE'], ['UNSET']]);
  assert.equal(g.globalArgs.get('IMAGE'), 'docker.io/library/alpine:3.19');
  assert.equal(g.globalArgs.has('UNSET'), false);
  assert.equal(g.globalArgs.get('TARGETARCH'), 'amd64');
  assert.deepEqual(g.stages.map((s) => [s.baseName, s.platform, [...s.usedArgs].sort()]), [
    ['docker.io/library/alpine:3.19', 'linux/amd64', ['BUILDPLATFORM', 'IMAGE']],
    ['busybox:3.19', undefined, ['VERSION']],
    ['base', 'linux/amd64', ['TARGETPLATFORM']],
  ]);
  assert.deepEqual(g.stages[2].base, { kind: 'stage', index: 0 });

  const overridden = graph(text, {
    buildArgs: new Map([['VERSION', 'edge'], ['UNSET', 'debian'], ['TARGETPLATFORM', 'linux/arm64']]),
  });
  assert.equal(overridden.globalArgs.get('IMAGE'), 'docker.io/library/alpine:edge');
  assert.deepEqual(overridden.stages.map((s) => [s.baseName, s.platform]), [
    ['docker.io/library/alpine:edge', 'linux/amd64'],
    ['debian:edge', undefined],
    ['base', 'linux/arm64'],
  ]);
  const arm = graph('FROM --platform=$TARGETPLATFORM x', { targetPlatform: { os: 'linux', architecture: 'arm', variant: 'v7' } });
  assert.equal(arm.stages[0].platform, 'linux/arm/v7');
});

test('global args: a stage picked through an ARG', () => {
  const text = 'ARG VARIANT=slim\nFROM debian AS full\nFROM debian:stable-slim AS slim\nFROM ${VARIANT}\nRUN true\n';
  assert.deepEqual(names(graph(text).stagesFor()), ['slim', 'stage-2']);
  assert.deepEqual(names(graph(text, { buildArgs: new Map([['VARIANT', 'full']]) }).stagesFor()), ['full', 'stage-2']);
});

test('global args: ARGs inside a stage do not reach later FROMs', () => {
  const g = graph('FROM alpine\nARG V=1\nFROM busybox:${V:-none}\n');
  assert.equal(g.stages[1].baseName, 'busybox:none');
  assert.deepEqual(g.stages[0].instructions.map((i) => i.keyword), ['arg']);
});

test('the escape token applies to FROM expansion', () => {
  const g = graph('# escape=`\nARG T=1\nFROM img:`$T-$T\n');
  assert.equal(g.stages[0].baseName, 'img:$T-1');
});

test('targets: unknown targets are refused with a suggestion', () => {
  const g = graph('FROM a AS builder\nFROM b AS final\n');
  assert.throws(() => g.stagesFor('nope'), { name: 'TargetError', message: 'target stage "nope" could not be found' });
  assert.throws(() => g.stagesFor('buildr'), (err) => err instanceof TargetError
    && err.message === 'target stage "buildr" could not be found (did you mean builder?)');
  assert.deepEqual(names(g.stagesFor('')), ['final']);
  assert.throws(() => graph('FROM a\nFROM b\n').stagesFor('stage-0'), TargetError);
});

test('cycles: COPY --from loops, even between stages the target does not need', () => {
  const loop = failure(() => graph('FROM x AS a\nCOPY --from=b / /\nFROM y AS b\nCOPY --from=a / /\nFROM z AS c\n'));
  assert.equal(loop.problem, 'circular dependency detected on stage: b');
  assert.equal(loop.line, 4);
  assert.equal(failure(() => graph('FROM x AS a\nCOPY --from=a / /\n')).problem, 'circular dependency detected on stage: a');
  assert.equal(failure(() => graph('FROM x AS a\nRUN --mount=from=a,target=/m true\n')).problem, 'circular dependency detected on stage: a');
  assert.equal(failure(() => graph('FROM x\nCOPY --from=0 / /\n')).problem, 'circular dependency detected on stage: stage-0');
});

test('order: a stage cannot read a stage defined after it', () => {
  const g = graph('FROM x AS a\nCOPY --from=b /f /f\nFROM y AS b\nFROM z AS c\n');
  assert.deepEqual(names(g.stagesFor('b')), ['b']);
  assert.deepEqual(names(g.stagesFor('c')), ['c']);
  const err = failure(() => g.stagesFor('a'));
  assert.equal(err.problem, 'cannot copy from stage "b", it needs to be defined before current stage "a"');
  assert.deepEqual([err.line, err.endLine], [2, 2]);
  const byIndex = graph('FROM x AS first\nCOPY --from=1 / /\nFROM y\n');
  assert.deepEqual(names(byIndex.stagesFor()), ['stage-1']);
  assert.equal(failure(() => byIndex.stagesFor('first')).problem,
    'cannot copy from stage "1", it needs to be defined before current stage "first"');
  assert.equal(failure(() => graph('FROM x AS m\nRUN --mount=from=n,target=/n true\nFROM y AS n\n').levels('m')).problem,
    'cannot copy from stage "n", it needs to be defined before current stage "m"');
});

test('errors: instructions outside stages, empty bases, --from rules', () => {
  const cases: [string, string, number][] = [
    ['RUN echo\nFROM x', 'no build stage in current context', 1],
    ['ARG A=1\n', 'dockerfile contains no stages to build', 1],
    ['ARG EMPTY\nFROM ${EMPTY}', 'base name (${EMPTY}) should not be blank', 2],
    ['FROM --platform=${P} x', 'empty platform value from expression ${P}', 1],
    ['FROM --platform=${P:?required} x', 'failed to process arguments for platform : failed to process "${P:?required}": P: required', 1],
    ['ARG A=${B:?missing}\nFROM x', 'failed to process "${B:?missing}": B: missing', 1],
    ['FROM ${', 'failed to process "${": syntax error: missing \'}\'', 1],
    ['FROM x AS a\nFROM y\nCOPY --from=$STAGE / /', 'variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround', 3],
    ['FROM x\nCOPY --from=5 / /', 'invalid stage index 5', 2],
    ['FROM x\nCOPY --from=-1 / /', 'invalid stage index -1', 2],
  ];
  for (const [text, expected, line] of cases) {
    const err = failure(() => graph(text));
    assert.equal(err.problem, expected, text);
    assert.equal(err.line, line, text);
  }
});

test('levels: independent stages share a level', () => {
  const g = graph([
    'FROM alpine AS a',
    'FROM alpine AS b',
    'FROM a AS c',
    'COPY --from=b / /b',
    'FROM alpine AS d',
    'COPY --from=c / /c',
    'COPY --from=a / /a',
    'FROM scratch',
    'COPY --from=d / /',
    'COPY --from=b / /',
  ].join('\n'));
  assert.deepEqual(g.levels().map(names), [['a', 'b'], ['c'], ['d'], ['stage-4']]);
  assert.deepEqual(g.levels('c').map(names), [['a', 'b'], ['c']]);
});

test('closure: a stage and everything it needs, ascending', () => {
  const g = graph('FROM x AS a\nFROM x AS b\nCOPY --from=a / /\nFROM x AS c\nFROM b\nRUN --mount=from=c,target=/c true\n');
  assert.deepEqual(names(g.closure(3)), ['a', 'b', 'c', 'stage-3']);
  assert.deepEqual(names(g.closure(1)), ['a', 'b']);
  assert.deepEqual(names(g.closure(2)), ['c']);
});

test('ONBUILD triggers: their --from and from= name stages defined before the stage, or images; errors point at its FROM', () => {
  const g = graph('FROM x AS assets\nFROM y AS tools\nFROM base:1 AS app\nRUN true\nFROM z AS late\n');
  const triggers = parseInstructions(parseDockerfile([
    'COPY --from=assets /a /a', 'RUN echo no sources', 'RUN --mount=from=tools,target=/t --mount=from=alpine,target=/al true', 'COPY --from=1 /b /b', 'COPY --from=nginx /n /n',
  ].join('\n')));
  const app = g.stages[2]!;
  assert.deepEqual([...g.triggerSources(app, triggers)], [
    [0, [{ kind: 'stage', index: 0 }]],
    [2, [{ kind: 'stage', index: 1 }, { kind: 'image', ref: 'alpine' }]],
    [3, [{ kind: 'stage', index: 1 }]],
    [4, [{ kind: 'image', ref: 'nginx' }]],
  ]);
  const later = parseInstructions(parseDockerfile('COPY --from=late /x /x'));
  const err = failure(() => g.triggerSources(app, later));
  assert.equal(err.problem, 'cannot copy from stage "late", it needs to be defined before current stage "app"');
  assert.deepEqual([err.line, err.endLine], [3, 3]);
  assert.equal(failure(() => g.triggerSources(app, parseInstructions(parseDockerfile('COPY --from=app /x /x')))).problem,
    'cannot copy from stage "app", it needs to be defined before current stage "app"');
  assert.equal(failure(() => g.triggerSources(app, parseInstructions(parseDockerfile('COPY --from=9 /x /x')))).problem, 'invalid stage index 9');
});
