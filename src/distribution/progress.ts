// Progress of a pull or push as docker's JSON message stream carries it:
// statuses ("Pulling fs layer", "Pushed"), per-layer byte counts (at most a
// few a second per layer), and an aux payload at the end of a push.

export interface ProgressMessage {
  id?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
  /** The bar older clients print as is: "[==>    ]  1.2MB/4.5MB". */
  progress?: string;
  aux?: object;
}

export type ProgressSink = (m: ProgressMessage) => void;

/** The line a plain (not a terminal) display shows for `m`: statuses only, no byte counts or bars. */
export function plainLine(m: ProgressMessage): string | undefined {
  if (!m.status || m.progress || m.progressDetail?.current !== undefined) return undefined;
  return m.id ? `${m.id}: ${m.status}\n` : `${m.status}\n`;
}

/** How often a layer's byte count is reported at most. */
const EVERY_MS = 100;

/** A status line of its own: "Digest: sha256:…", "Status: …". */
export function note(status: string): ProgressMessage {
  return { status };
}

/** A layer's status: "Pulling fs layer", "Already exists", "Pushed". */
export function layerStatus(id: string, status: string): ProgressMessage {
  return { status, progressDetail: {}, id };
}

/** "12.3MB", as go-units' HumanSize (decimal, four significant digits). */
function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${Number(n.toPrecision(4))}${units[i]}`;
}

/** jsonmessage.JSONProgress.String() at docker's default width. */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current).padStart(8);
  const pct = Math.min(Math.floor((current / total) * 50), 50);
  const arrow = pct < 50 ? '>' : '';
  return `[${'='.repeat(pct)}${arrow}${' '.repeat(Math.max(50 - pct - arrow.length, 0))}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/** Reports one layer's bytes ("Downloading", "Pushing") to `sink`, throttled; the last count always goes out. */
export class ByteProgress {
  readonly #sink: ProgressSink;
  readonly #id: string;
  readonly #action: string;
  readonly #total: number;
  #last = 0;
  current = 0;

  constructor(sink: ProgressSink, id: string, action: string, total: number) {
    this.#sink = sink;
    this.#id = id;
    this.#action = action;
    this.#total = total;
  }

  add(bytes: number): void {
    this.current += bytes;
    const now = Date.now();
    if (now - this.#last < EVERY_MS && this.current < this.#total) return;
    this.#last = now;
    this.#sink({ status: this.#action, progressDetail: { current: this.current, total: this.#total }, progress: progressBar(this.current, this.#total), id: this.#id });
  }
}

/** A short ID for a layer's lines: the first 12 hex digits of a digest. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
