// docker's formatter.Context: renders items through a --format value that is
// "table [TEMPLATE]", "json" or a Go template, with column headers for tables.
import { tabwrite } from './tabwriter.ts';
import { execute, headerFuncs, parseTemplate, TemplateError } from './template.ts';
import type { Template } from './template.ts';

export const TABLE = 'table';

export function isTable(format: string): boolean {
  return format.startsWith(TABLE);
}

/** A list command's default formats, in full and under -q. */
export interface ListFormats {
  table: string;
  raw: string;
  quietTable: string;
  quietRaw: string;
}

/** The newFormat of docker's list formatters: -q narrows only the table and raw formats to one field; a custom format wins over it. */
export function listFormat(format: string, quiet: boolean, formats: ListFormats): string {
  const source = format || TABLE;
  if (source === TABLE) return quiet ? formats.quietTable : formats.table;
  if (source === 'raw') return quiet ? formats.quietRaw : formats.raw;
  return source;
}

/** Parses a template the way every docker command reports failures. */
export function parseFormat(src: string): Template {
  try {
    return parseTemplate(src);
  } catch (e) {
    if (e instanceof TemplateError) throw new Error(`template parsing error: ${e.message}`);
    throw e;
  }
}

/** The template a --format value stands for (docker's preFormat). */
export function templateOf(format: string): string {
  let f = format;
  if (isTable(f)) f = f.slice(TABLE.length);
  else if (f === 'json') f = '{{json .}}';
  return f.replace(/^ +| +$/g, '').replaceAll('\\t', '\t').replaceAll('\\n', '\n');
}

/** formatter.SubHeaderContext: the titles, and a Label method naming a label's column ("com.x-y" → "x y"). */
function headerContext(header: Record<string, string>): Map<string, string> {
  const label = (name: string): string => name.split('.').at(-1)!.replace(/[-_]/g, ' ');
  return Object.assign(new Map(Object.entries(header)), { Label: label });
}

/**
 * Renders items; header maps field names to column titles. Rows are built
 * first, so nothing is printed when a template fails on some item.
 */
export function renderItems(format: string, items: readonly object[], header: Record<string, string>): string {
  const tmpl = parseFormat(templateOf(format));
  let body = '';
  for (const item of items) {
    try {
      body += execute(tmpl, item) + '\n';
    } catch (e) {
      if (e instanceof TemplateError) throw new Error(`template parsing error: ${e.message}`);
      throw e;
    }
  }
  if (!isTable(format)) return body;
  let head: string;
  try {
    head = execute(tmpl, headerContext(header), headerFuncs);
  } catch (e) {
    // docker ignores header failures and keeps what was written.
    if (!(e instanceof TemplateError)) throw e;
    head = e.partial;
  }
  return tabwrite(head + '\n' + body);
}
