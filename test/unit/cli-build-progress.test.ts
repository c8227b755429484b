import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { BuildProgress } from '../../src/cli/build-progress.ts';

function sink(): { out: Writable; text: () => string } {
  let text = '';
  const out = new Writable({ write: (c: Buffer, _e, cb) => ((text += c.toString()), cb()) });
  return { out, text: () => text };
}

test('plain: the classic stream becomes numbered steps with their stage, timed output lines, DONE and CACHED', () => {
  let now = 0;
  const { out, text } = sink();
  const p = new BuildProgress(out, false, () => now);
  p.context('2.048kB', 120);
  p.text('Step 1/4 : FROM busybox AS tools\n ---> 3d98154820f6\n');
  p.text('Step 2/4 : RUN make\n ---> Cache miss: file app.c changed\n ---> Running in 0123456789ab\n');
  now = 250;
  p.text('compiling');
  p.text(' app.c\n');
  now = 1500;
  p.text('Removing intermediate container 0123456789ab\n ---> 89abcdef0123\n');
  p.text('Step 3/4 : FROM busybox\n ---> 3d98154820f6\nStep 4/4 : COPY --from=tools /app /app\n ---> Using cache\n ---> 456789abcdef\n');
  p.text('Successfully built 456789abcdef\nSuccessfully tagged app:1\n');
  p.end();
  assert.equal(text(), [
    '#1 [internal] load build context', '#1 transferring context: 2.048kB done', '#1 DONE 0.1s', '',
    '#2 [tools 1/4] FROM busybox AS tools', '#2 DONE 0.0s', '',
    '#3 [tools 2/4] RUN make', '#3 cache miss: file app.c changed', '#3   0.3 compiling app.c', '#3 DONE 1.5s', '',
    '#4 [stage-1 3/4] FROM busybox', '#4 DONE 0.0s', '',
    '#5 [stage-1 4/4] COPY --from=tools /app /app', '#5 CACHED', '',
    '#6 exporting to image', '#6 writing image 456789abcdef done', '#6 naming to app:1 done', '#6 DONE 0.0s', '',
  ].join('\n'));
});

test('a failure is reported on the running step', () => {
  const { out, text } = sink();
  const p = new BuildProgress(out, false, () => 0);
  p.text('Step 1/2 : FROM busybox\n ---> 3d98154820f6\nStep 2/2 : RUN exit 3\n ---> Running in 0123456789ab\n');
  p.fail("The command '/bin/sh -c exit 3' returned a non-zero code: 3");
  p.end();
  assert.match(text(), /#2 \[stage-0 2\/2\] RUN exit 3\n#2 ERROR: The command '\/bin\/sh -c exit 3' returned a non-zero code: 3\n$/);
});

test('a step\'s own timing from the daemon wins over when its lines arrived (a stage held back while another ran)', () => {
  const { out, text } = sink();
  const p = new BuildProgress(out, false, () => 0);
  p.text('Step 1/2 : FROM busybox AS a\n ---> 3d98154820f6 [0.00s]\nStep 2/2 : RUN sleep 2\n ---> Running in 0123456789ab\n ---> 89abcdef0123 [2.04s]\n');
  p.end();
  assert.match(text(), /#2 \[a 2\/2\] RUN sleep 2\n#2 DONE 2\.0s\n/);
});
