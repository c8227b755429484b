// The daemon's event stream (`docker events`): a bounded history for
// `since` queries, and live subscribers.
import { EventEmitter } from 'node:events';

export interface DockerEvent {
  Type: 'container' | 'image' | 'network' | 'volume' | 'daemon';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
  status?: string;
  id?: string;
  from?: string;
}

export interface EventFilter {
  type?: string[];
  event?: string[];
  container?: string[];
  image?: string[];
  label?: string[];
}

const HISTORY = 1024;

export class Events {
  #history: DockerEvent[] = [];
  #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  emit(type: DockerEvent['Type'], action: string, id: string, attributes: Record<string, string> = {}): void {
    const now = BigInt(Date.now()) * 1_000_000n + process.hrtime.bigint() % 1_000_000n;
    const ev: DockerEvent = {
      Type: type, Action: action, Actor: { ID: id, Attributes: attributes }, scope: 'local',
      time: Number(now / 1_000_000_000n), timeNano: Number(now),
    };
    if (type === 'container' || type === 'image') {
      ev.status = action;
      ev.id = id;
      if (attributes.image) ev.from = attributes.image;
    }
    this.#history.push(ev);
    if (this.#history.length > HISTORY) this.#history.shift();
    this.#emitter.emit('event', ev);
  }

  since(ms: number, until?: number): DockerEvent[] {
    return this.#history.filter((e) => e.timeNano / 1e6 >= ms && (until === undefined || e.timeNano / 1e6 <= until));
  }

  subscribe(fn: (e: DockerEvent) => void): () => void {
    this.#emitter.on('event', fn);
    return () => this.#emitter.off('event', fn);
  }
}

export function matchesEvent(e: DockerEvent, f: EventFilter): boolean {
  if (f.type?.length && !f.type.includes(e.Type)) return false;
  if (f.event?.length && !f.event.some((x) => e.Action === x || e.Action.startsWith(`${x}:`))) return false;
  const attrs = e.Actor.Attributes;
  if (f.container?.length && (e.Type !== 'container' || !f.container.some((c) => e.Actor.ID.startsWith(c) || attrs.name === c))) return false;
  if (f.image?.length && !f.image.some((i) => attrs.image === i || e.Actor.ID === i || (e.Type === 'image' && attrs.name === i))) return false;
  if (f.label?.length) {
    for (const l of f.label) {
      const [k, v] = l.split('=', 2) as [string, string | undefined];
      if (!(k in attrs) || (v !== undefined && attrs[k] !== v)) return false;
    }
  }
  return true;
}
