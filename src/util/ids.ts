import { randomBytes, createHash } from 'node:crypto';

export function randomId(): string {
  return randomBytes(32).toString('hex');
}

export function sha256(data: string | Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

// Docker's generated names: adjective_surname. A short list is enough to make
// collisions rare; the engine retries on a clash.
const LEFT = [
  'admiring', 'brave', 'clever', 'dazzling', 'eager', 'focused', 'gallant', 'happy', 'jolly', 'keen',
  'loving', 'modest', 'nifty', 'optimistic', 'peaceful', 'quirky', 'relaxed', 'sharp', 'trusting',
  'upbeat', 'vibrant', 'wizardly', 'youthful', 'zealous', 'bold', 'calm', 'determined', 'elegant',
];
const RIGHT = [
  'albattani', 'babbage', 'curie', 'darwin', 'einstein', 'feynman', 'galileo', 'hopper', 'hypatia',
  'johnson', 'kepler', 'lovelace', 'mayer', 'newton', 'noether', 'pasteur', 'ritchie', 'shannon',
  'tesla', 'thompson', 'turing', 'wozniak', 'yalow', 'zhukovsky', 'bohr', 'euler', 'gauss', 'knuth',
];

export function generateName(): string {
  const pick = (list: string[]): string => list[randomBytes(1)[0]! % list.length]!;
  return `${pick(LEFT)}_${pick(RIGHT)}`;
}
