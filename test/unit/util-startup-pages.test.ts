// Dropping the node executable's start-up pages: which mappings qualify (never
// a writable one, nor one with privately copied pages), and, in a real node
// process, that its resident share of the executable shrinks and it still runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { droppable, parseSmaps } from '../../src/util/startup-pages.ts';

const SMAPS = `00400000-00746000 r--p 00000000 fe:00 5308874                            /opt/node/bin/node
Size:               3352 kB
Rss:                3352 kB
Anonymous:             0 kB
0074a000-03044000 r-xp 0034a000 fe:00 5308874                            /opt/node/bin/node
Size:              41960 kB
Anonymous:             0 kB
06b52000-06b56000 r--p 06751000 fe:00 5308874                            /opt/node/bin/node
Size:                 16 kB
Anonymous:            16 kB
06b56000-06b7d000 rw-p 06755000 fe:00 5308874                            /opt/node/bin/node
Size:                156 kB
Anonymous:             0 kB
06b7d000-06bb6000 rw-p 00000000 00:00 0
Anonymous:           228 kB
7fa57fdc0000-7fa57ffc5000 r-xp 01627000 fe:00 5308874                    /opt/node/bin/node
Anonymous:             0 kB
7fa580000000-7fa580001000 r-xp 00000000 fe:00 42                         /usr/lib/x86_64-linux-gnu/libc.so.6
Anonymous:             0 kB
`;

test('only read-only mappings of the executable with no private copies are dropped', () => {
  const maps = parseSmaps(SMAPS);
  assert.equal(maps.length, 7);
  assert.deepEqual(maps[2], { start: 0x06b52000, end: 0x06b56000, perms: 'r--p', path: '/opt/node/bin/node', anonymousKb: 16 });
  assert.equal(maps[4]!.path, '');
  assert.deepEqual(droppable(maps, '/opt/node/bin/node').map((m) => m.start.toString(16)), ['400000', '74a000', '7fa57fdc0000']);
});

test('a node process that drops them keeps running with less of the executable resident', () => {
  const module = fileURLToPath(new URL('../../src/util/startup-pages.ts', import.meta.url));
  const script = `
    import { readFileSync, readlinkSync } from 'node:fs';
    import { dropExecutablePages } from ${JSON.stringify(module)};
    const exe = readlinkSync('/proc/self/exe');
    const resident = () => {
      let kb = 0, ours = false;
      for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\\n')) {
        if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) ours = line.endsWith(' ' + exe);
        else if (ours && line.startsWith('Rss:')) kb += Number(line.split(/\\s+/)[1]);
      }
      return kb;
    };
    const before = resident();
    const covered = dropExecutablePages();
    const after = resident();
    // Work that needs code and data of the executable again.
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(JSON.stringify({ before, after })).digest('hex');
    console.log(JSON.stringify({ before, after, covered, digest: digest.length }));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script], { encoding: 'utf8' })) as
    { before: number; after: number; covered: number; digest: number };
  assert.ok(out.covered > 10 << 20, `covered ${out.covered} bytes`);
  assert.ok(out.after < out.before / 2, `resident ${out.before} kB before, ${out.after} kB after`);
  assert.equal(out.digest, 64);
});
