// Docker's multiplexed stream framing for containers without a TTY: each
// frame is [stream, 0, 0, 0, big-endian uint32 length] followed by payload.
// Stream 0 is stdin echoed back, 1 stdout, 2 stderr, 3 a daemon-side error.

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const SYSERR = 3;

const HEADER = 8;

export type FrameHandler = (stream: number, payload: Buffer) => void;

/** Splits a byte stream into frames, however the chunks happen to be cut. */
export class Demuxer {
  private buf: Buffer = Buffer.alloc(0);
  private readonly onFrame: FrameHandler;

  constructor(onFrame: FrameHandler) {
    this.onFrame = onFrame;
  }

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= HEADER) {
      const stream = this.buf[0]!;
      if (stream > SYSERR) throw new Error(`Unrecognized input header: ${stream}`);
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < HEADER + size) break;
      const payload = this.buf.subarray(HEADER, HEADER + size);
      this.buf = this.buf.subarray(HEADER + size);
      this.onFrame(stream, payload);
    }
  }

  /** Bytes of an incomplete frame left when the stream ended. */
  get pending(): number {
    return this.buf.length;
  }
}
