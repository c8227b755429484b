// runc's errors, as runc 1.1 really prints them (logrus text format on
// stderr), reduced to the message a user should see.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanRuncError } from '../../src/runtime/runc.ts';

// Captured from `runc create` / `runc run -d` / `runc state` (runc 1.1.5).
const CREATE_NOT_FOUND = 'time="2026-11-25T07:54:27Z" level=error msg="runc create failed: unable to start container process: exec: \\"x\\": executable file not found in $PATH"\n';
const CREATE_NO_FILE = 'time="2026-11-25T07:54:27Z" level=error msg="runc create failed: unable to start container process: exec: \\"/bin/none\\": stat /bin/none: no such file or directory"\n';
const RUN_QUOTED = 'time="2026-11-25T07:54:20Z" level=error msg="runc run failed: unable to start container process: exec: \\"nope\\\\\\"quoted\\": executable file not found in $PATH"\n';
const STATE_MISSING = 'time="2026-11-25T07:54:18Z" level=error msg="container does not exist"\n';

test('cleanRuncError: the message of a failed create, without the "runc create failed" prefix', () => {
  assert.equal(cleanRuncError(CREATE_NOT_FOUND), 'unable to start container process: exec: "x": executable file not found in $PATH');
  assert.equal(cleanRuncError(CREATE_NO_FILE), 'unable to start container process: exec: "/bin/none": stat /bin/none: no such file or directory');
});

test('cleanRuncError: runc run, and escaped quotes and backslashes inside the message', () => {
  assert.equal(cleanRuncError(RUN_QUOTED), 'unable to start container process: exec: "nope\\"quoted": executable file not found in $PATH');
  assert.equal(cleanRuncError('time="t" level=error msg="path C:\\\\dir\\\\x"'), 'path C:\\dir\\x');
});

test('cleanRuncError: plain logrus messages are kept', () => {
  assert.equal(cleanRuncError(STATE_MISSING), 'container does not exist');
});

test('cleanRuncError: the last message wins when runc logs several', () => {
  const text = 'time="t" level=warning msg="cgroup v1 is deprecated"\ntime="t" level=error msg="exec failed: unable to start container process: exec: \\"nope\\": executable file not found in $PATH"\n';
  assert.equal(cleanRuncError(text), 'exec failed: unable to start container process: exec: "nope": executable file not found in $PATH');
});

test('cleanRuncError: text that is not logrus output is only trimmed', () => {
  assert.equal(cleanRuncError('  spawn runc ENOENT\n'), 'spawn runc ENOENT');
  assert.equal(cleanRuncError('Command failed: runc start abc\n'), 'Command failed: runc start abc');
});
