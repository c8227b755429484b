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

/** A terminal of `columns` columns that keeps what is written to it. */
function terminal(columns: number): { out: Writable; text: () => string } {
  const s = sink();
  Object.assign(s.out, { isTTY: true, columns });
  return s;
}

const CLEAR = '\r\x1b[2K';

/** What a terminal shows once `text` is drawn: carriage returns go back to the line's start, erase-line empties it. */
function screen(text: string): string[] {
  const rows: string[] = [''];
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith('\x1b[2K', i)) {
      rows[rows.length - 1] = '';
      i += 3;
    } else if (text[i] === '\r') at = 0;
    else if (text[i] === '\n') {
      rows.push('');
      at = 0;
    } else {
      const row = rows[rows.length - 1]!;
      rows[rows.length - 1] = row.slice(0, at) + text[i] + row.slice(at + 1);
      at++;
    }
  }
  return rows;
}

test('tty: the running step is one live line, redrawn in place with its timer, then replaced by its result', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  let now = 0;
  const { out, text } = terminal(80);
  const p = new BuildProgress(out, true, () => now);
  p.text('Step 1/2 : FROM busybox\n ---> 3d98154820f6\n');
  // The step's line is drawn without a newline, erased and drawn again as it ends.
  assert.equal(text(), `${CLEAR}#1 [stage-0 1/2] FROM busybox  0.0s${CLEAR}#1 [stage-0 1/2] FROM busybox  DONE 0.0s\n`);
  const before = text().length;
  p.text('Step 2/2 : RUN make\n ---> Running in 0123456789ab\n');
  assert.equal(text().slice(before), `${CLEAR}#2 [stage-0 2/2] RUN make  0.0s`);
  // The timer redraws the same line every 100 ms.
  now = 1200;
  t.mock.timers.tick(100);
  assert.ok(text().endsWith(`${CLEAR}#2 [stage-0 2/2] RUN make  1.2s`), JSON.stringify(text()));
  // Output goes above the live line, which is drawn again under it.
  now = 1500;
  p.text('compiling app.c\n');
  assert.ok(text().endsWith(`${CLEAR}#2   1.5 compiling app.c\n${CLEAR}#2 [stage-0 2/2] RUN make  1.5s`), JSON.stringify(text()));
  now = 2000;
  t.mock.timers.tick(100);
  p.text('Removing intermediate container 0123456789ab\n ---> 89abcdef0123\nSuccessfully built 89abcdef0123\nSuccessfully tagged app:1\n');
  p.end();
  // Ended, the timer draws nothing more.
  const final = text();
  t.mock.timers.tick(1000);
  assert.equal(text(), final);
  assert.deepEqual(screen(final), [
    '#1 [stage-0 1/2] FROM busybox  DONE 0.0s',
    '#2   1.5 compiling app.c',
    '#2 [stage-0 2/2] RUN make  DONE 2.0s',
    '#3 exporting to image',
    '#3 writing image 89abcdef0123 done',
    '#3 naming to app:1 done',
    '#3 DONE 0.0s',
    '',
  ]);
});

test('tty: the live line is cut to the terminal\'s width, keeping its timer, so it never wraps', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  let now = 0;
  const { out, text } = terminal(30);
  const p = new BuildProgress(out, true, () => now);
  p.text('Step 1/2 : FROM busybox\n ---> 3d98154820f6\n');
  const before = text().length;
  p.text('Step 2/2 : RUN echo a-long-command-that-does-not-fit\n');
  now = 3400;
  t.mock.timers.tick(100);
  const live = screen(text()).at(-1)!;
  assert.equal(live, '#2 [stage-0 2/2] RUN ec  3.4s');
  assert.equal(live.length, 29);
  // Each draw is one erase and one row: no newline, nothing past the last column.
  for (const draw of text().slice(before).split(CLEAR).filter(Boolean)) assert.ok(draw.length <= 29 && !draw.includes('\n'), JSON.stringify(draw));
  p.text(' ---> 89abcdef0123\n');
  p.end();
  // The result line is printed once, whole; only a live line is cut.
  assert.equal(screen(text()).at(-2), '#2 [stage-0 2/2] RUN echo a-long-command-that-does-not-fit  DONE 3.4s');
});

test('tty: a failure replaces the live line with the error and stops the timer', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const { out, text } = terminal(80);
  const p = new BuildProgress(out, true, () => 0);
  p.text('Step 1/1 : RUN exit 3\n ---> Running in 0123456789ab\n');
  p.fail("The command '/bin/sh -c exit 3' returned a non-zero code: 3");
  p.end();
  const final = text();
  t.mock.timers.tick(500);
  assert.equal(text(), final);
  assert.deepEqual(screen(final), ["#1 ERROR: The command '/bin/sh -c exit 3' returned a non-zero code: 3", '']);
});
