// berth build's progress the way `docker build` shows it with BuildKit:
// numbered steps named by their stage, each output line timed from its
// step's start, and `DONE <seconds>` or `CACHED` (with berth's cache-miss
// reason when there is one). Plain lines on a pipe; on a terminal the
// running step's line keeps a live timer, redrawn in place (carriage
// return, erase line) and cut to the terminal's width so that it never
// wraps onto a row the redraw would not reach. It is drawn from the classic
// JSON stream the daemon sends, which `DOCKER_BUILDKIT=0` shows as it is.
import type { Readable, Writable } from 'node:stream';
import { jsonObjects } from '../client/jsonstream.ts';
import type { JsonMessage } from '../client/types.ts';
import { JsonMessageError } from './jsonmessage.ts';

interface Step {
  number: number;
  title: string;
  started: number;
  cached: boolean;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

export class BuildProgress {
  readonly #out: Writable;
  readonly #tty: boolean;
  readonly #now: () => number;
  #vertex = 0;
  #stage = '';
  #stages = 0;
  #step: Step | undefined;
  #partial = '';
  #exporting: { number: number; started: number } | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(out: Writable, tty: boolean, now: () => number = () => performance.now()) {
    this.#out = out;
    this.#tty = tty;
    this.#now = now;
  }

  /** The context upload, as BuildKit's first vertex. */
  context(bytes: string, ms: number): void {
    const n = ++this.#vertex;
    this.#write(`#${n} [internal] load build context\n#${n} transferring context: ${bytes} done\n#${n} DONE ${seconds(ms)}s\n\n`);
  }

  /** Text from the daemon's stream, in whatever pieces it comes. */
  text(chunk: string): void {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop()!;
    for (const line of lines) this.#line(line);
  }

  /** The build failed with `message`: the running step says so. */
  fail(message: string): void {
    this.#flushPartial();
    const n = this.#step?.number ?? this.#exporting?.number ?? ++this.#vertex;
    this.#stopTimer();
    this.#write(`${this.#clear()}#${n} ERROR: ${message}\n`);
    this.#step = undefined;
  }

  /** The stream ended: whatever is open is done. */
  end(): void {
    this.#flushPartial();
    this.#closeStep();
    if (this.#exporting) {
      this.#write(`#${this.#exporting.number} DONE ${seconds(this.#now() - this.#exporting.started)}s\n`);
      this.#exporting = undefined;
    }
    this.#stopTimer();
  }

  #flushPartial(): void {
    if (this.#partial) this.#line(this.#partial);
    this.#partial = '';
  }

  #line(line: string): void {
    const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
    if (step) return this.#begin(Number(step[1]), Number(step[2]), step[3]!);
    const s = this.#step;
    if (s) {
      if (line === ' ---> Using cache') {
        s.cached = true;
        return;
      }
      const miss = /^ ---> Cache miss: (.*)$/.exec(line);
      if (miss) return this.#print(`#${s.number} cache miss: ${miss[1]}`);
      if (/^ ---> Running in [0-9a-f]+$/.test(line) || /^Removing intermediate container /.test(line)) return;
      const done = /^ ---> (?:[0-9a-f]{12}|scratch)(?: \[(\d+(?:\.\d+)?)s\])?$/.exec(line);
      if (done) return this.#closeStep(done[1] !== undefined ? Number(done[1]) * 1000 : undefined);
      return this.#print(`#${s.number} ${seconds(this.#now() - s.started).padStart(5)} ${line}`);
    }
    const built = /^Successfully built ([0-9a-f]+)$/.exec(line);
    if (built) {
      this.#exporting = { number: ++this.#vertex, started: this.#now() };
      return this.#print(`#${this.#exporting.number} exporting to image\n#${this.#exporting.number} writing image ${built[1]} done`);
    }
    const tagged = /^Successfully tagged (.*)$/.exec(line);
    if (tagged && this.#exporting) return this.#print(`#${this.#exporting.number} naming to ${tagged[1]} done`);
    const warning = /^\[Warning\] (.*)$/.exec(line);
    if (warning) return this.#print(`WARNING: ${warning[1]}`);
    if (line.trim()) this.#print(line);
  }

  #begin(number: number, total: number, instruction: string): void {
    this.#closeStep();
    const from = /^FROM\s+(?:--platform=\S+\s+)?\S+(?:\s+AS\s+(\S+))?/i.exec(instruction);
    if (from) this.#stage = from[1] ?? `stage-${this.#stages}`;
    if (from) this.#stages++;
    this.#step = { number: ++this.#vertex, title: `[${this.#stage} ${number}/${total}] ${instruction}`, started: this.#now(), cached: false };
    if (this.#tty) {
      this.#draw();
      this.#timer ??= setInterval(() => this.#draw(), 100).unref();
    } else {
      this.#write(`#${this.#step.number} ${this.#step.title}\n`);
    }
  }

  /** `took`: the daemon's own timing of the step, which a held-back stage's arrival times cannot give. */
  #closeStep(took?: number): void {
    const s = this.#step;
    if (!s) return;
    this.#step = undefined;
    const result = s.cached ? 'CACHED' : `DONE ${seconds(took ?? this.#now() - s.started)}s`;
    this.#write(this.#tty ? `${this.#clear()}#${s.number} ${s.title}  ${result}\n` : `#${s.number} ${result}\n\n`);
  }

  /** A line of its own; on a terminal above the running step's live line. */
  #print(text: string): void {
    this.#write(`${this.#clear()}${text}\n`);
    if (this.#tty && this.#step) this.#draw();
  }

  #draw(): void {
    const s = this.#step;
    if (!s) return;
    const head = `#${s.number} ${s.title}`;
    const timer = `  ${seconds(this.#now() - s.started)}s`;
    // The last column stays free: a line that fills it leaves the cursor waiting to wrap.
    const width = (this.#out as { columns?: number }).columns;
    const room = width ? width - 1 : Infinity;
    const line = head.length + timer.length <= room ? head + timer : head.slice(0, Math.max(room - timer.length, 0)) + timer;
    this.#write(`${this.#clear()}${line.slice(0, room)}`);
  }

  #clear(): string {
    return this.#tty ? '\r\x1b[2K' : '';
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #write(text: string): void {
    this.#out.write(text);
  }
}

/** Shows a build's JSON stream with `progress`; aux messages go to `onAux`, an error ends it as a JsonMessageError. */
export async function displayBuildProgress(stream: Readable, progress: BuildProgress, onAux: (aux: unknown) => void): Promise<void> {
  try {
    for await (const m of jsonObjects<JsonMessage>(stream)) {
      if (m.aux !== undefined) onAux(m.aux);
      else if (m.errorDetail || m.error) {
        const message = m.errorDetail?.message ?? m.error ?? '';
        progress.fail(message);
        throw new JsonMessageError(message);
      } else if (m.stream) progress.text(m.stream);
      else if (m.status) progress.text(`${m.id ? `${m.id}: ` : ''}${m.status}\n`);
    }
  } finally {
    progress.end();
  }
}
