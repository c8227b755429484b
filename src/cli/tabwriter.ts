// Go's text/tabwriter (elastic tabstops), configured as docker's tables use
// it: minwidth 10, padding 3, space padding. Tab-terminated cells in
// consecutive lines form a column; a line's last cell is not aligned.

/** Terminal columns a character takes: 2 for East Asian wide, 0 for combining marks. */
function charWidth(c: number): number {
  if (c === 0 || (c >= 0x300 && c < 0x370) || (c >= 0x200b && c <= 0x200f) || (c >= 0xfe00 && c <= 0xfe0f)) return 0;
  if (
    (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) || (c >= 0x3041 && c <= 0x33ff) ||
    (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xa000 && c <= 0xa4cf) ||
    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) ||
    (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch.codePointAt(0)!);
  return w;
}

/** docker's formatter.Ellipsis: cut to maxWidth display columns, ending in "…". */
export function ellipsis(s: string, maxWidth: number): string {
  if (maxWidth <= 0) return '';
  const chars = [...s];
  if (maxWidth === 1) return chars[0] ?? '';
  if (displayWidth(s) <= maxWidth) return s;
  let out = '';
  let w = 0;
  for (const ch of chars) {
    const cw = charWidth(ch.codePointAt(0)!);
    if (w + cw > maxWidth - 1) break;
    out += ch;
    w += cw;
  }
  return out + '…';
}

export interface TabOptions {
  minWidth: number;
  padding: number;
}

const DOCKER_TABLE: TabOptions = { minWidth: 10, padding: 3 };

/** Aligns tab-separated text. */
export function tabwrite(text: string, opts: TabOptions = DOCKER_TABLE): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const widths: number[] = [];
  let out = '';

  // Cells other than the last of each line belong to columns; a column block
  // runs over consecutive lines that have a cell in it (Go's format()).
  const writeLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      cells.forEach((cell, j) => {
        out += cell;
        if (j < cells.length - 1 && j < widths.length) out += ' '.repeat(widths[j]! - displayWidth(cell));
      });
      if (i < lines.length - 1) out += '\n';
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i]!.length - 1) continue;
      writeLines(line0, i);
      line0 = i;
      let width = opts.minWidth;
      for (; i < line1 && column < lines[i]!.length - 1; i++) {
        width = Math.max(width, displayWidth(lines[i]![column]!) + opts.padding);
      }
      widths.push(width);
      format(line0, i);
      widths.pop();
      line0 = i;
      i--;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out;
}
