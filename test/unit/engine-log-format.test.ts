// conmon's k8s-file log records and docker's timestamp forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerTime, renderLog, scanRecords, STDERR, type RenderOptions } from '../../src/engine/log-format.ts';

interface LogEntry {
  stream: 'stdout' | 'stderr';
  time: string;
  ms: number;
  data: Buffer;
}

const T1 = '2026-11-25T07:35:02.663242949+00:00';
const T2 = '2026-11-25T07:35:03.000000001+00:00';

function parse(text: string | Buffer): { entries: LogEntry[]; used: number } {
  const entries: LogEntry[] = [];
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  const used = scanRecords(buf, (stream, full, stampEnd, lineStart, msgStart, msgEnd) => {
    const stamp = buf.toString('latin1', lineStart, stampEnd);
    const data = Buffer.concat([buf.subarray(msgStart, msgEnd), Buffer.from(full ? '\n' : '')]);
    entries.push({ stream: stream === STDERR ? 'stderr' : 'stdout', time: dockerTime(stamp), ms: Date.parse(stamp), data });
  });
  return { entries, used };
}

test('scanRecords: full lines on stdout and stderr', () => {
  const text = `${T1} stdout F hello world\n${T2} stderr F oops\n`;
  const { entries, used } = parse(text);
  assert.equal(used, Buffer.byteLength(text));
  assert.equal(entries.length, 2);
  assert.equal(entries[0]!.stream, 'stdout');
  assert.equal(entries[0]!.data.toString(), 'hello world\n');
  assert.equal(entries[0]!.time, '2026-11-25T07:35:02.663242949Z');
  assert.equal(entries[0]!.ms, Date.UTC(2026, 10, 25, 7, 35, 2, 663));
  assert.equal(entries[1]!.stream, 'stderr');
  assert.equal(entries[1]!.data.toString(), 'oops\n');
  assert.equal(entries[1]!.time, '2026-11-25T07:35:03.000000001Z');
});

test('scanRecords: P records are pieces of one line, without a newline', () => {
  const { entries } = parse(`${T1} stdout P abc\n${T1} stdout P def\n${T2} stdout F ghi\n`);
  assert.deepEqual(entries.map((e) => e.data.toString()), ['abc', 'def', 'ghi\n']);
  assert.equal(Buffer.concat(entries.map((e) => e.data)).toString(), 'abcdefghi\n');
});

test('scanRecords: message spacing is kept byte for byte', () => {
  const { entries } = parse(`${T1} stdout F   two  spaces \t tab \n`);
  assert.equal(entries[0]!.data.toString(), '  two  spaces \t tab \n');
});

test('scanRecords: an incomplete last line is not consumed', () => {
  const first = `${T1} stdout F one\n`;
  const partial = `${T2} stdout F tw`;
  const { entries, used } = parse(first + partial);
  assert.equal(entries.length, 1);
  assert.equal(used, Buffer.byteLength(first));
  // The caller keeps the rest and retries once more bytes arrive.
  const again = parse(partial + 'o\n');
  assert.equal(again.entries.length, 1);
  assert.equal(again.entries[0]!.data.toString(), 'two\n');
  assert.equal(again.used, Buffer.byteLength(partial + 'o\n'));
});

test('scanRecords: nothing complete means nothing consumed', () => {
  assert.deepEqual(parse(''), { entries: [], used: 0 });
  assert.deepEqual(parse(`${T1} stdout F no newline yet`), { entries: [], used: 0 });
});

test('scanRecords: empty lines, with or without the trailing space conmon writes', () => {
  const { entries, used } = parse(`${T1} stdout F \n${T2} stderr F\n`);
  assert.equal(used, Buffer.byteLength(`${T1} stdout F \n${T2} stderr F\n`));
  assert.deepEqual(entries.map((e) => [e.stream, e.data.toString()]), [['stdout', '\n'], ['stderr', '\n']]);
});

test('scanRecords: malformed records are skipped but consumed', () => {
  const text = `garbage\n${T1} stdout F ok\n`;
  const { entries, used } = parse(text);
  assert.equal(used, Buffer.byteLength(text));
  assert.deepEqual(entries.map((e) => e.data.toString()), ['ok\n']);
});

test('scanRecords: non-ASCII bytes pass through untouched', () => {
  const payload = Buffer.from([0xe2, 0x82, 0xac, 0x20, 0xff, 0x00, 0x41]);
  const buf = Buffer.concat([Buffer.from(`${T1} stdout F `), payload, Buffer.from('\n')]);
  const { entries } = parse(buf);
  assert.deepEqual(entries[0]!.data, Buffer.concat([payload, Buffer.from('\n')]));
});

const ALL: RenderOptions = { stdout: true, stderr: true, timestamps: false, tty: false };

function frames(out: Buffer): [number, string][] {
  const list: [number, string][] = [];
  for (let i = 0; i < out.length; ) {
    const len = out.readUInt32BE(i + 4);
    list.push([out[i]!, out.toString('utf8', i + 8, i + 8 + len)]);
    i += 8 + len;
  }
  return list;
}

test('renderLog: one frame per run of a stream, as docker multiplexes it', () => {
  const text = `${T1} stdout F a\n${T1} stdout F b\n${T2} stderr F c\n${T2} stdout P d\n`;
  const { out, used } = renderLog(Buffer.from(text), ALL);
  assert.equal(used, Buffer.byteLength(text));
  assert.deepEqual(frames(out), [[1, 'a\nb\n'], [2, 'c\n'], [1, 'd']]);
});

test('renderLog: stream choice, timestamps, raw TTY output, time window', () => {
  const text = Buffer.from(`${T1} stdout F a\n${T2} stderr F b\n`);
  assert.deepEqual(frames(renderLog(text, { ...ALL, stdout: false }).out), [[2, 'b\n']]);
  assert.deepEqual(frames(renderLog(text, { ...ALL, timestamps: true }).out), [[1, '2026-11-25T07:35:02.663242949Z a\n'], [2, '2026-11-25T07:35:03.000000001Z b\n']]);
  assert.equal(renderLog(text, { ...ALL, tty: true }).out.toString(), 'a\nb\n');
  assert.deepEqual(frames(renderLog(text, { ...ALL, since: Date.parse(T2) }).out), [[2, 'b\n']]);
  assert.deepEqual(frames(renderLog(text, { ...ALL, until: Date.parse(T1) }).out), [[1, 'a\n']]);
});

test('renderLog: an incomplete last record is left for the next read', () => {
  const { out, used } = renderLog(Buffer.from(`${T1} stdout F a\n${T2} stdout F b`), ALL);
  assert.deepEqual(frames(out), [[1, 'a\n']]);
  assert.equal(used, Buffer.byteLength(`${T1} stdout F a\n`));
});

test('dockerTime: UTC stamps keep their nine fraction digits and end in Z', () => {
  assert.equal(dockerTime(T1), '2026-11-25T07:35:02.663242949Z');
  assert.equal(dockerTime('2026-01-01T00:00:00.000000000+00:00'), '2026-01-01T00:00:00.000000000Z');
});

test('dockerTime: stamps with a local offset become UTC with nanoseconds kept', () => {
  assert.equal(dockerTime('2026-11-25T08:35:02.663242949+01:00'), '2026-11-25T07:35:02.663242949Z');
  assert.equal(dockerTime('2026-11-25T02:05:02.000000123-05:30'), '2026-11-25T07:35:02.000000123Z');
});

test('scanRecords: the ms value honours the offset', () => {
  const { entries } = parse('2026-11-25T08:35:02.663242949+01:00 stdout F x\n');
  assert.equal(entries[0]!.ms, Date.UTC(2026, 10, 25, 7, 35, 2, 663));
});
