// conmon's attach socket is a SOCK_SEQPACKET unix socket, which Node's net
// module cannot open, so it is opened through libc and driven with fs reads
// and writes on the descriptor (these run in libuv's thread pool).
import { read, write, close } from 'node:fs';
import { promisify } from 'node:util';
import { libc, sysError } from '../util/libc.ts';

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_CLOEXEC = 0o2000000;
const SHUT_WR = 1;
const SHUT_RDWR = 2;
/** How long the output side is drained after stdin ends, for conmon to take the EOF. */
const LINGER_MS = 2000;
const socketFn = libc.func('int socket(int, int, int)');
const connectFn = libc.func('int connect(int, const void *, uint32_t)');
const shutdownFn = libc.func('int shutdown(int, int)');
const readP = promisify(read);
const writeP = promisify(write);

/** conmon reads stdin messages into a buffer of this size; longer messages would be cut. */
const MESSAGE = 4096;

export class AttachSocket {
  readonly fd: number;
  #closed = false;
  #drain: Promise<void>;

  constructor(fd: number) {
    this.fd = fd;
    // conmon also sends output here; it must be read or conmon stalls. berth reads
    // output from the log instead, so this is discarded.
    this.#drain = (async () => {
      const buf = Buffer.alloc(8193);
      try {
        while ((await readP(fd, buf, 0, buf.length, null)).bytesRead > 0);
      } catch {
        // shut down or closed under us
      }
    })();
  }

  static connect(path: string): AttachSocket {
    const fd = socketFn(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0) as number;
    if (fd < 0) throw sysError('socket');
    const addr = Buffer.alloc(110);
    addr.writeUInt16LE(AF_UNIX, 0);
    if (Buffer.byteLength(path) > 107) throw new Error(`attach socket path too long: ${path}`);
    addr.write(path, 2);
    if ((connectFn(fd, addr, addr.length) as number) < 0) {
      const err = sysError('connect', path);
      close(fd, () => {});
      throw err;
    }
    return new AttachSocket(fd);
  }

  async write(data: Buffer): Promise<void> {
    for (let i = 0; i < data.length && !this.#closed; i += MESSAGE) {
      const part = data.subarray(i, i + MESSAGE);
      let off = 0;
      while (off < part.length) off += (await writeP(this.fd, part, off, part.length - off, null)).bytesWritten;
    }
  }

  /**
   * Ends stdin: conmon closes the container's stdin when it reads EOF here.
   * Only the write side is shut at first: closing a unix socket with unread
   * output in it resets the connection, and conmon would miss the EOF.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    shutdownFn(this.fd, SHUT_WR);
    await Promise.race([this.#drain, new Promise((r) => setTimeout(r, LINGER_MS).unref())]);
    shutdownFn(this.fd, SHUT_RDWR);
    await this.#drain;
    await new Promise<void>((r) => close(this.fd, () => r()));
  }
}
