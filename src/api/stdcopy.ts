// Docker's multiplexed stream framing for non-TTY attach, exec and logs:
// an 8-byte header [stream, 0, 0, 0, uint32 big-endian length] per frame.

export { STDOUT, STDERR } from '../engine/log-format.ts';

export function frame(stream: number, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}
