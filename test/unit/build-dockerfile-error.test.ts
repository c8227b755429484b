// Where a build error comes from: the Dockerfile's name and the instruction's
// lines (with a few before them), kept beside the error for berth's display;
// the message itself stays moby 20.10's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerfileError, dockerfileDetail, locate, locationOf } from '../../src/build/dockerfile-error.ts';

const text = '# syntax=docker/dockerfile:1\nFROM busybox\nARG A\nARG B\nRUN a \\\n  b\nRUNN x\n';

test("moby 20.10's message shape", () => {
  assert.equal(new DockerfileError('Dockerfile.dev', 7, 7, 'unknown instruction: RUNN').message, 'dockerfile parse error line 7: unknown instruction: RUNN');
});

test('an error is located once: the lines of its instruction and up to four before', () => {
  const err = new Error('V: missing');
  assert.equal(locate(err, 'Dockerfile.dev', text, 5, 6), err);
  assert.deepEqual(locationOf(err), { file: 'Dockerfile.dev', line: 5, endLine: 6, start: 1, lines: ['# syntax=docker/dockerfile:1', 'FROM busybox', 'ARG A', 'ARG B', 'RUN a \\', '  b'] });
  // The closest place wins: a FROM step wrapping a trigger's error does not move it.
  locate(err, 'Dockerfile.dev', text, 2, 2);
  assert.equal(locationOf(err)?.line, 5);
  const late = locate(new Error('x'), 'Dockerfile', text, 7, 7);
  assert.deepEqual(locationOf(late), { file: 'Dockerfile', line: 7, endLine: 7, start: 3, lines: ['ARG A', 'ARG B', 'RUN a \\', '  b', 'RUNN x'] });
  assert.deepEqual(dockerfileDetail(late), { dockerfile: locationOf(late) });
  assert.deepEqual(dockerfileDetail(new Error('nowhere')), {});
  assert.deepEqual(dockerfileDetail('not an error'), {});
});
