import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { jsonObjects } from '../../src/client/jsonstream.ts';
import { Demuxer, STDERR, STDOUT } from '../../src/client/stdcopy.ts';
import { EscapeScanner, parseDetachKeys, streamHijacked, DetachedError } from '../../src/cli/hijack.ts';
import { displayJsonMessages, JsonMessageError, progressText } from '../../src/cli/jsonmessage.ts';

function frame(stream: number, payload: string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

test('demuxer splits frames whatever the chunking', () => {
  const wire = Buffer.concat([frame(STDOUT, 'hello '), frame(STDERR, 'oops\n'), frame(STDOUT, 'world\n'), frame(STDOUT, '')]);
  for (const size of [1, 3, 7, 8, 9, wire.length]) {
    const got: string[] = [];
    const d = new Demuxer((s, p) => got.push(`${s}:${p.toString()}`));
    for (let i = 0; i < wire.length; i += size) d.push(wire.subarray(i, i + size));
    assert.deepEqual(got, ['1:hello ', '2:oops\n', '1:world\n', '1:'], `chunk size ${size}`);
    assert.equal(d.pending, 0);
  }
});

test('demuxer rejects unknown stream types and keeps partial frames', () => {
  const d = new Demuxer(() => {});
  assert.throws(() => d.push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 1, 65])), /Unrecognized input header: 9/);
  const p = new Demuxer(() => {});
  p.push(frame(STDOUT, 'abcdef').subarray(0, 10));
  assert.equal(p.pending, 10);
});

test('JSON object streams: lines, back-to-back objects, split chunks, braces in strings', async () => {
  const text = '{"a":1}\r\n{"b":"}{\\"x"}{"c":[1,{"d":2}]}\n';
  const chunks = text.match(/.{1,3}/gs)!;
  const got = [];
  for await (const o of jsonObjects(Readable.from(chunks))) got.push(o);
  assert.deepEqual(got, [{ a: 1 }, { b: '}{"x' }, { c: [1, { d: 2 }] }]);
  await assert.rejects(async () => {
    for await (const o of jsonObjects(Readable.from(['{"a":']))) void o;
  }, /unexpected end of JSON stream/);
});

test('the source-text reviver keeps int64 values exact', async () => {
  const got: unknown[] = [];
  for await (const o of jsonObjects(Readable.from(['{"timeNano":1700000000123456789}']), (k, v, c) => (k === 'timeNano' && c.source ? BigInt(c.source) : v))) got.push(o);
  assert.deepEqual(got, [{ timeNano: 1700000000123456789n }]);
});

async function display(lines: object[], tty: boolean): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  await displayJsonMessages(Readable.from(lines.map((l) => JSON.stringify(l) + '\n')), out, { tty, width: 120 });
  return text;
}

test('progress streams without a terminal: statuses and streams, no bars', async () => {
  const text = await display([
    { status: 'Pulling from library/busybox', id: 'latest' },
    { status: 'Downloading', id: 'abc', progressDetail: { current: 10, total: 100 }, progress: '[=>  ]' },
    { status: 'Pull complete', id: 'abc', progressDetail: {} },
    { stream: 'Loaded image: busybox:latest\n' },
    { aux: { ID: 'sha256:x' } },
  ], false);
  assert.equal(text, 'latest: Pulling from library/busybox\nabc: Pull complete\nLoaded image: busybox:latest\n');
});

test('progress errors end the stream with the daemon message', async () => {
  await assert.rejects(display([{ status: 'x' }, { errorDetail: { message: 'no space left' }, error: 'no space left' }], false), (e: unknown) => e instanceof JsonMessageError && e.message === 'no space left');
});

test('progress bars on a terminal', async () => {
  assert.equal(progressText({ progressDetail: { current: 50, total: 100 } }, 120), `[${'='.repeat(25)}>${' '.repeat(25)}]      50B/100B`);
  assert.equal(progressText({ progressDetail: { current: 1234 } }, 80), ' 1.234kB');
  const text = await display([{ status: 'Downloading', id: 'abc', progressDetail: { current: 1, total: 2 } }], true);
  assert.ok(text.startsWith('\n\x1b[1A\x1b[2K\rabc: Downloading ['));
  assert.ok(text.endsWith('\x1b[1B'));
});

test('detach keys', () => {
  assert.deepEqual(parseDetachKeys('ctrl-p,ctrl-q'), [16, 17]);
  assert.deepEqual(parseDetachKeys('a,ctrl-@,ctrl-_,DEL'), [97, 0, 31, 127]);
  assert.throws(() => parseDetachKeys('ctrl-pp'), /Unknown character: 'ctrl-pp'/);
  const s = new EscapeScanner([16, 17]);
  assert.deepEqual([...s.scan(Buffer.from([65, 16]))!], [65]);
  // A broken prefix is delivered late, not lost.
  assert.deepEqual([...s.scan(Buffer.from([66]))!], [16, 66]);
  assert.deepEqual([...s.scan(Buffer.from([16]))!], []);
  assert.equal(s.scan(Buffer.from([17, 99])), null);
});

test('hijacked streams: demultiplexed output, stdin sent up and half-closed', async () => {
  const output = new PassThrough();
  const input = new PassThrough();
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let up = '';
  let upEnded = false;
  input.on('data', (d: Buffer) => (up += d.toString()));
  input.on('end', () => (upEnded = true));
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = streamHijacked({ output, input, close: () => output.destroy() }, { tty: false, stdin, stdout, stderr });
  stdin.end('typed\n');
  output.write(frame(STDOUT, 'out\n'));
  output.write(frame(STDERR, 'err\n'));
  await new Promise((r) => setImmediate(r));
  output.end();
  await done;
  assert.equal(out, 'out\n');
  assert.equal(err, 'err\n');
  assert.equal(up, 'typed\n');
  assert.equal(upEnded, true);
});

test('hijacked streams: a daemon-side error frame fails the stream', async () => {
  const output = new PassThrough();
  const done = streamHijacked({ output, input: null, close: () => {} }, { tty: false, stdin: null, stdout: new PassThrough(), stderr: new PassThrough() });
  output.write(frame(3, 'exec failed'));
  await assert.rejects(done, /exec failed/);
});

test('hijacked streams: the detach sequence on a terminal detaches', async () => {
  const output = new PassThrough();
  const input = new PassThrough();
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (): void => {} });
  let closed = false;
  const done = streamHijacked({ output, input, close: () => (closed = true) }, { tty: true, stdin, stdout: new PassThrough(), stderr: null });
  stdin.write(Buffer.from([16, 17]));
  await assert.rejects(done, (e: unknown) => e instanceof DetachedError);
  assert.equal(closed, true);
});
