// conmon's attach socket is a SOCK_SEQPACKET unix socket, which Node's net
// module cannot open, so it is driven through libc with non-blocking calls:
// nothing here ever waits in a thread, so idle `run -i` sessions cost no
// thread-pool slots (four blocked reads would stall all of berthd's file I/O).
// conmon copies the container's output to every attached socket and blocks
// when one is full, so what arrives is drained on a timer and discarded
// (berth serves output from the log). Shutting the read side instead makes
// conmon's writes fail, after which it no longer delivers the client's EOF.
import { libc, errno, sysError } from '../util/libc.ts';

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const EAGAIN = 11;
const EINTR = 4;
const socketFn = libc.func('int socket(int, int, int)');
const connectFn = libc.func('int connect(int, const void *, uint32_t)');
const sendFn = libc.func('long send(int, const void *, size_t, int)');
const recvFn = libc.func('long recv(int, void *, size_t, int)');
const closeFn = libc.func('int close(int)');
const shutdownFn = libc.func('int shutdown(int, int)');
const SHUT_WR = 1;
/** How long the socket stays open (and drained) after stdin ends, for conmon to take the EOF. */
const LINGER_MS = 2000;

/** conmon reads stdin messages into a buffer of this size; longer messages would be cut. */
const MESSAGE = 4096;
/** How long to wait before retrying a write the container's stdin is not taking yet. */
const RETRY_MS = 5;
const DRAIN_MS = 10;

export class AttachSocket {
  readonly fd: number;
  #closed = false;
  #drainTimer: NodeJS.Timeout;
  #scratch = Buffer.alloc(8193);

  constructor(fd: number) {
    this.fd = fd;
    this.#drainTimer = setInterval(() => this.#drain(), DRAIN_MS).unref();
  }

  #drain(): void {
    while (Number(recvFn(this.fd, this.#scratch, this.#scratch.length, MSG_DONTWAIT)) > 0);
  }

  /** Connects for stdin; see the header for what happens to output. */
  static connect(path: string): AttachSocket {
    const fd = socketFn(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) as number;
    if (fd < 0) throw sysError('socket');
    const addr = Buffer.alloc(110);
    addr.writeUInt16LE(AF_UNIX, 0);
    if (Buffer.byteLength(path) > 107) {
      closeFn(fd);
      throw new Error(`attach socket path too long: ${path}`);
    }
    addr.write(path, 2);
    if ((connectFn(fd, addr, addr.length) as number) < 0) {
      const err = sysError('connect', path);
      closeFn(fd);
      throw err;
    }
    return new AttachSocket(fd);
  }

  async write(data: Buffer): Promise<void> {
    for (let i = 0; i < data.length && !this.#closed; ) {
      const part = data.subarray(i, i + MESSAGE);
      const n = Number(sendFn(this.fd, part, part.length, MSG_DONTWAIT | MSG_NOSIGNAL));
      if (n >= 0) {
        i += n;
        continue;
      }
      const e = errno();
      if (e !== EAGAIN && e !== EINTR) throw sysError('send');
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }

  /**
   * Ends stdin: conmon closes the container's stdin when it reads EOF here.
   * Only the write side is shut at first, and the socket is kept (and
   * drained) a while: closing a unix socket with unread output in it resets
   * the connection, and conmon would then miss the EOF.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    shutdownFn(this.fd, SHUT_WR);
    await new Promise((r) => setTimeout(r, LINGER_MS).unref());
    clearInterval(this.#drainTimer);
    this.#drain();
    closeFn(this.fd);
  }
}
