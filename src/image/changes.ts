// `import --change` / `commit --change`, as moby's BuildFromConfig takes
// them: the changes are read together as one Dockerfile, only instructions
// that touch nothing but the config are allowed, and each is applied as the
// builder applies it, its words expanded against the config's own Env
// (there are no build args).
import type { ContainerDefaults } from './types.ts';
import { badRequest } from '../util/errors.ts';
import { parseDockerfile } from '../build/dockerfile-parser.ts';
import { parseInstruction } from '../build/instructions.ts';
import { applyConfigStep, configStep, type StageConfig } from '../build/image-config.ts';
import { ShellLex, envFromList } from '../build/shell-words.ts';

const CHANGE_COMMANDS = new Set(['cmd', 'entrypoint', 'healthcheck', 'env', 'expose', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir']);

/** Applies changes such as `CMD ["sh"]`, `ENV A=1`, `EXPOSE 80` to a copy of `cfg`. */
export function applyChanges(cfg: ContainerDefaults, changes: string[]): ContainerDefaults {
  // The parser refuses a file without instructions; no changes change nothing.
  if (changes.every((c) => c.trim() === '')) return structuredClone(cfg);
  try {
    const parsed = parseDockerfile(changes.join('\n'));
    // moby checks every command before it applies any.
    for (const node of parsed.nodes) {
      if (!CHANGE_COMMANDS.has(node.keyword)) throw badRequest(`${node.keyword} is not a valid change command`);
    }
    const lex = new ShellLex(parsed.escapeToken);
    let state: StageConfig = { config: structuredClone(cfg), cmdSet: false };
    for (const node of parsed.nodes) {
      const step = configStep(parseInstruction(node), lex, envFromList(state.config.Env ?? []));
      state = applyConfigStep(state, step!).state;
    }
    return state.config;
  } catch (err) {
    throw err instanceof Error && !('status' in err) ? badRequest(err.message) : err;
  }
}
