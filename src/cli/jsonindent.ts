// Go's json.Indent and json.Compact: re-layout JSON text without re-encoding
// it, so the daemon's own spelling of strings and numbers is kept.

/** Splits JSON text into tokens: strings, punctuation and bare literals. */
function* tokens(src: string): Generator<string> {
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      yield src.slice(i, j + 1);
      i = j + 1;
    } else if ('{}[],:'.includes(c)) {
      yield c;
      i++;
    } else {
      let j = i;
      while (j < src.length && !' \t\n\r{}[],:"'.includes(src[j]!)) j++;
      yield src.slice(i, j);
      i = j;
    }
  }
}

export function compactJson(src: string): string {
  return [...tokens(src)].join('');
}

/** Empty objects and arrays stay on one line, as in Go. */
export function indentJson(src: string, indent = '    '): string {
  const toks = [...tokens(src)];
  let out = '';
  let depth = 0;
  const newline = (): string => '\n' + indent.repeat(depth);
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t === '{' || t === '[') {
      const close = t === '{' ? '}' : ']';
      if (toks[i + 1] === close) {
        out += t + close;
        i++;
        continue;
      }
      depth++;
      out += t + newline();
    } else if (t === '}' || t === ']') {
      depth--;
      out += newline() + t;
    } else if (t === ',') {
      out += ',' + newline();
    } else if (t === ':') {
      out += ': ';
    } else {
      out += t;
    }
  }
  return out;
}
