// Image references as docker spells them: [registry/]path[:tag][@digest].
// Names on Docker Hub are shown in their familiar short form (busybox:latest),
// as the docker CLI does.

export interface Reference {
  /** Repository in familiar form: "busybox", "localhost:5000/app". */
  repo: string;
  tag?: string;
  digest?: string;
}

const NAME_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function parseReference(input: string): Reference {
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw new Error(`invalid reference format: ${input}`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw new Error(`invalid reference format: ${input}`);
  }
  let domain = '';
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      domain = first;
      path = rest.slice(slash + 1);
    }
  }
  if (domain && !/^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/.test(domain)) {
    throw new Error(`invalid reference format: ${input}`);
  }
  if (/^[a-f0-9]{64}$/.test(path)) throw new Error(`invalid repository name (${path}), cannot specify 64-byte hexadecimal strings`);
  if (!NAME_RE.test(path) || rest.length > 255) {
    if (/[A-Z]/.test(rest)) throw new Error(`invalid reference format: repository name (${rest}) must be lowercase`);
    throw new Error(`invalid reference format: ${input}`);
  }
  if (domain === 'docker.io' || domain === 'index.docker.io' || domain === '') {
    domain = '';
    if (path.startsWith('library/') && path.split('/').length === 2) path = path.slice(8);
  }
  const repo = domain ? `${domain}/${path}` : path;
  return { repo, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** "name" → "name:latest"; keeps digests and explicit tags. */
export function normalizeTagged(input: string): string {
  const ref = parseReference(input);
  if (ref.digest) return `${ref.repo}@${ref.digest}`;
  return `${ref.repo}:${ref.tag ?? 'latest'}`;
}
