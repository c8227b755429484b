// What COPY/ADD sources select in a context: filepath.Match wildcards (dotfiles
// included, never through a symlinked directory), BuildKit's --exclude (below
// each source, .dockerignore's rules) and --parents (each match keeps its path
// from the root or a `/./` pivot); the cache key digests exactly that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { excludeMatcher, findSources, pickedEntries, type Selection } from '../../src/build/copy-step.ts';
import { contextDigests } from '../../src/build/context-digests.ts';

const root = mkdtempSync(join(tmpdir(), 'berth-copy-select-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
for (const [path, content] of Object.entries({
  'a.txt': 'a', '.b.txt': 'b', '.env': 'e', 'src/a.go': 'g', 'src/a_test.go': 't', 'src/sub/b.go': 'b', 'src/sub/skip.md': 'm',
  'docs/x.md': 'x', 'outside/o.txt': 'o',
})) {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), content);
}
symlinkSync('outside', join(root, 'link'));

/** What the sources copy, as paths under their targets: `rel` for a file, `rel/…` for what a directory holds. */
async function selected(sources: string[], select?: Selection): Promise<string[]> {
  const out: string[] = [];
  for (const src of sources) {
    for (const s of await findSources(root, src, 'COPY', false, select)) {
      if (!s.isDir) out.push(s.rel);
      else for await (const e of pickedEntries(s, excludeMatcher(select))) out.push(`${s.rel || '.'}:${e.rel}`);
    }
  }
  return out;
}

test('wildcards take dotfiles and stop at /; a symlinked directory is not walked into', async () => {
  assert.deepEqual(await selected(['*.txt']), ['.b.txt', 'a.txt']);
  assert.deepEqual(await selected(['.?nv', '[a.]*']), ['.env', '.b.txt', '.env', 'a.txt']);
  assert.deepEqual(await selected(['*/*.go']), ['src/a.go', 'src/a_test.go']);
  assert.deepEqual(await selected(['l*/*.txt']), []);
  assert.deepEqual(await selected(['[']), []);
});

test('--exclude: patterns below each source, relative to it; the source itself stays', async () => {
  assert.deepEqual(await selected(['src'], { exclude: ['*_test.go', '**/*.md'] }), ['src:a.go', 'src:sub', 'src:sub/b.go']);
  assert.deepEqual(await selected(['src'], { exclude: ['sub'] }), ['src:a.go', 'src:a_test.go']);
  // An exception below an excluded directory keeps the directory and what it re-includes.
  assert.deepEqual(await selected(['src'], { exclude: ['sub', '!sub/b.go'] }), ['src:a.go', 'src:a_test.go', 'src:sub', 'src:sub/b.go']);
  assert.deepEqual(await selected(['a.txt'], { exclude: ['*'] }), ['a.txt']);
  assert.throws(() => excludeMatcher({ exclude: ['a', '[x'] }), { message: 'invalid excludepatterns: [a [x]: syntax error in pattern' });
});

test('--parents: matches keep their path from the root, or from a /./ pivot, with the directories above', async () => {
  assert.deepEqual(await selected(['src/sub/*.go', 'docs'], { parents: true }), ['.:src', '.:src/sub', '.:src/sub/b.go', '.:docs', '.:docs/x.md']);
  assert.deepEqual(await selected(['./src/./sub/b.go'], { parents: true }), ['src:sub', 'src:sub/b.go']);
  // The pattern is cleaned as a path: `src/*/` is `src/*`, which files match too.
  assert.deepEqual(await selected(['src/*/'], { parents: true, exclude: ['**/*.md'] }), ['.:src', '.:src/a.go', '.:src/a_test.go', '.:src/sub', '.:src/sub/b.go']);
  await assert.rejects(selected(['nope/x.txt'], { parents: true }), { message: 'COPY failed: file not found in build context or excluded by .dockerignore: stat nope/x.txt: file does not exist' });
  // With a wildcard, nothing matching is not an error.
  assert.deepEqual(await selected(['nope/*.txt'], { parents: true }), []);
});

test('the key digests what is copied: excluded and unselected files are not in it', async () => {
  const all = await contextDigests(root, ['src'], 'COPY');
  assert.deepEqual(Object.keys(all).sort(), ['src', 'src/a.go', 'src/a_test.go', 'src/sub', 'src/sub/b.go', 'src/sub/skip.md']);
  const cut = await contextDigests(root, ['src'], 'COPY', { exclude: ['*_test.go', 'sub/*.md'] });
  assert.deepEqual(Object.keys(cut).sort(), ['src', 'src/a.go', 'src/sub', 'src/sub/b.go']);
  assert.equal(cut['src/a.go'], all['src/a.go']);
  const parents = await contextDigests(root, ['src/sub/b.go'], 'COPY', { parents: true });
  assert.deepEqual(Object.keys(parents).sort(), ['.', 'src', 'src/sub', 'src/sub/b.go']);
  // A symlink a wildcard matches is followed inside the context, and named by where it leads.
  assert.deepEqual(Object.keys(await contextDigests(root, ['*'], 'COPY')).filter((k) => !k.includes('/')).sort(),
    ['.b.txt', '.env', 'a.txt', 'docs', 'outside', 'src']);
});
