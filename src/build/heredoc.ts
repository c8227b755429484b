// Heredocs in RUN and COPY/ADD as BuildKit's dockerfile2llb runs them (the
// classic docker CLI sends the Dockerfile as written, so berthd does it).
//
// RUN: when the command line is the heredoc alone (`RUN <<EOF`), its body
// is the script: one starting with `#!` becomes an executable file at
// /dev/pipes/<name> that is run, anything else is handed to the shell as
// the command (`<<-` tabs stripped). Otherwise (`RUN <<EOF bash`, `RUN
// python3 <<A <<B`) the line is put back together with its bodies and
// terminators and the shell reads the heredocs itself.
//
// COPY/ADD: each `<<NAME` source is a file NAME (mode 0644) with the body,
// build args and ENV expanded unless the terminator was quoted; quotes in
// the body are text, not quoting.
import { chompHeredoc, parseHeredoc, type Heredoc } from './dockerfile-parser.ts';
import type { InlineSource } from './instructions.ts';
import { ShellLex, type Env } from './shell-words.ts';

/** Where a RUN heredoc script is mounted, as BuildKit does. */
export const PIPES_DIR = '/dev/pipes';

export interface InlineFile {
  readonly name: string;
  readonly data: string;
}

export interface HeredocRun {
  readonly command: string[];
  readonly shell: boolean;
  /** Executable files to mount at PIPES_DIR/<name> for the command. */
  readonly files: InlineFile[];
}

/** The command a RUN with heredocs runs, and the files it needs. */
export function heredocRun(command: string[], shell: boolean, heredocs: readonly Heredoc[]): HeredocRun {
  if (heredocs.length === 0 || !shell) return { command, shell, files: [] };
  if (command.length !== 1) throw new Error(`parsing produced an invalid run command: ${command.join(' ')}`);
  const doc = heredocs[0]!;
  let single: ReturnType<typeof parseHeredoc>;
  try {
    single = parseHeredoc(command[0]!);
  } catch {
    single = undefined;
  }
  if (single) {
    const data = doc.chomp ? chompHeredoc(doc.content) : doc.content;
    if (data.startsWith('#!')) return { command: [`${PIPES_DIR}/${doc.name}`], shell: true, files: [{ name: doc.name, data }] };
    return { command: [data], shell: true, files: [] };
  }
  let full = command[0]!;
  for (const h of heredocs) full += '\n' + h.content + h.name;
  return { command: [full], shell: true, files: [] };
}

/** COPY/ADD's heredoc sources with their bodies expanded where the terminator allows it. */
export function inlineFiles(inline: readonly InlineSource[], env: Env): InlineFile[] {
  const lex = new ShellLex('\\', { skipProcessQuotes: true });
  return inline.map((src) => ({ name: src.path, data: src.expand ? lex.processWord(src.data, env) : src.data }));
}
