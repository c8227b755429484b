// WWW-Authenticate challenges (RFC 7235): `Bearer realm="…",service="…",
// scope="…"` or `Basic realm="…"`, several per header or several headers.

export interface Challenge {
  /** Lower case: "bearer", "basic". */
  scheme: string;
  /** Parameter names in lower case, values unquoted. */
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const out: Challenge[] = [];
  for (const h of Array.isArray(header) ? header : [header]) out.push(...parseOne(h));
  return out;
}

function parseOne(text: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const skip = (chars: string): void => {
    while (i < text.length && chars.includes(text[i]!)) i++;
  };
  const token = (): string => {
    const m = TOKEN.exec(text.slice(i));
    if (!m) return '';
    i += m[0].length;
    return m[0];
  };
  const quoted = (): string => {
    let value = '';
    for (i++; i < text.length && text[i] !== '"'; i++) {
      if (text[i] === '\\' && i + 1 < text.length) i++;
      value += text[i];
    }
    i++;
    return value;
  };
  // An unquoted value should be a token; a URL written bare is taken up to the next comma or space.
  const bare = (): string => {
    const start = i;
    while (i < text.length && !', \t'.includes(text[i]!)) i++;
    return text.slice(start, i);
  };
  while (i < text.length) {
    skip(' \t,');
    const scheme = token();
    if (!scheme) {
      // Nothing this parser can read: skip to the next comma.
      while (i < text.length && text[i] !== ',') i++;
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    for (;;) {
      skip(' \t');
      const start = i;
      const name = token();
      skip(' \t');
      if (!name || text[i] !== '=') {
        // The next challenge's scheme (or a token68, which registries do not send).
        i = start;
        if (name && /^[=\s]*(,|$)/.test(text.slice(i + name.length))) {
          i += name.length;
          skip('=');
        }
        break;
      }
      i++;
      skip(' \t');
      challenge.params[name.toLowerCase()] = text[i] === '"' ? quoted() : bare();
      skip(' \t');
      if (text[i] !== ',') break;
      i++;
    }
  }
  return out;
}
