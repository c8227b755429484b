// RUN --mount's parsing and planning against BuildKit's parseMount and
// dockerfile2llb: every option spelling, the defaults (read-only binds,
// writable caches, cache ids, secret paths, targets under WORKDIR),
// BuildKit's error messages, what the cache key holds of a mount, cache
// directory names, the mount points a layer leaves out, and the secrets
// header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cacheDirName, describeMount, mountPointsToMake, parseMount, parseSecrets, planMount, planMounts, unusedMountPoints,
  type Found, type StepMount,
} from '../../src/build/run-mounts.ts';
import { CacheMounts } from '../../src/build/cache-mounts.ts';

const noVars = (w: string): string => w;
const vars = (env: Record<string, string>) => (w: string): string => w.replace(/\$\{?(\w+)\}?/g, (_m, k: string) => env[k] ?? '');
const plan = (spec: string, workdir = '/'): StepMount => planMount(parseMount(spec, noVars), workdir);
const fails = (spec: string, message: string, workdir = '/'): void => {
  assert.throws(() => plan(spec, workdir), (err: Error) => {
    assert.equal(err.message, message);
    return true;
  }, spec);
};

test('bind: the default type, read-only, source the root, every spelling of the keys', () => {
  assert.deepEqual(plan('target=/src'), { type: 'bind', target: '/src', source: '/', readOnly: true });
  assert.deepEqual(plan('type=bind,source=app,target=/src'), { type: 'bind', target: '/src', source: '/app', readOnly: true });
  assert.deepEqual(plan('type=BIND,src=./a/../b/,dst=/x/'), { type: 'bind', target: '/x', source: '/b', readOnly: true });
  assert.deepEqual(plan('destination=/x,from=build,source=/out'), { type: 'bind', target: '/x', source: '/out', from: 'build', readOnly: true });
  for (const rw of ['rw', 'readwrite', 'rw=true', 'readwrite=1', 'ro=false', 'readonly=False']) {
    assert.equal((plan(`target=/x,${rw}`) as { readOnly: boolean }).readOnly, false, rw);
  }
  for (const ro of ['ro', 'readonly', 'ro=true', 'readonly=T', 'rw=false', 'rw=0']) {
    assert.equal((plan(`target=/x,${ro}`) as { readOnly: boolean }).readOnly, true, ro);
  }
  // Keys are case-insensitive; quoting follows CSV.
  assert.deepEqual(plan('Type=bind,TARGET=/x,"source=a,b"'), { type: 'bind', target: '/x', source: '/a,b', readOnly: true });
});

test('targets: relative ones under WORKDIR, never /', () => {
  assert.equal((plan('target=cache', '/app') as { target: string }).target, '/app/cache');
  assert.equal((plan('target=.', '/app') as { target: string }).target, '/app');
  assert.equal((plan('target=../x', '/app') as { target: string }).target, '/x');
  assert.equal((plan('type=bind', '/work') as { target: string }).target, '/work');
  fails('type=bind', 'invalid mount target "/"');
  fails('target=/', 'invalid mount target "/"');
  fails('target=/a/..', 'invalid mount target "/"');
});

test('cache: writable, shared, id defaults to the target as written', () => {
  assert.deepEqual(plan('type=cache,target=/root/.cache'), { type: 'cache', target: '/root/.cache', id: '/root/.cache', sharing: 'shared', source: '/', readOnly: false });
  assert.deepEqual(plan('type=cache,target=go,id=gomod,sharing=LOCKED,mode=0700,uid=1000,gid=1001,ro', '/w'), {
    type: 'cache', target: '/w/go', id: 'gomod', sharing: 'locked', source: '/', readOnly: true, mode: 0o700, uid: 1000, gid: 1001,
  });
  assert.equal((plan('type=cache,target=/c,sharing=private') as { sharing: string }).sharing, 'private');
  assert.deepEqual(plan('type=cache,target=/c,from=base,source=/seed'), { type: 'cache', target: '/c', id: '/c', sharing: 'shared', source: '/seed', from: 'base', readOnly: false });
});

test('tmpfs: size in docker units', () => {
  assert.deepEqual(plan('type=tmpfs,target=/t'), { type: 'tmpfs', target: '/t', readOnly: false });
  assert.deepEqual(plan('type=tmpfs,target=/t,size=64m'), { type: 'tmpfs', target: '/t', size: 64 * 1024 * 1024, readOnly: false });
  assert.deepEqual(plan('type=tmpfs,dst=/t,size=1024'), { type: 'tmpfs', target: '/t', size: 1024, readOnly: false });
  fails('type=tmpfs,target=/t,size=lots', 'invalid value for size: lots');
  fails('target=/t,size=1m', "unexpected key 'size' for mount type 'bind'");
  // The key checks the type given before it, as BuildKit's loop does.
  fails('size=1m,type=tmpfs,target=/t', "unexpected key 'size' for mount type 'bind'");
});

test('secret: id from id, source or the target, default path, mode 0400 root', () => {
  assert.deepEqual(plan('type=secret,id=token'), { type: 'secret', id: 'token', target: '/run/secrets/token', required: false, mode: 0o400, uid: 0, gid: 0 });
  assert.deepEqual(plan('type=secret,source=npmrc,target=/root/.npmrc,required,mode=0440,uid=1,gid=2'), {
    type: 'secret', id: 'npmrc', target: '/root/.npmrc', required: true, mode: 0o440, uid: 1, gid: 2,
  });
  assert.deepEqual(plan('type=secret,target=/etc/key.pem,required=false'), { type: 'secret', id: 'key.pem', target: '/etc/key.pem', required: false, mode: 0o400, uid: 0, gid: 0 });
  assert.deepEqual(plan('type=secret,id=tok,target=rel', '/w'), { type: 'secret', id: 'tok', target: '/w/rel', required: false, mode: 0o400, uid: 0, gid: 0 });
  fails('type=secret,id=tok,env=TOKEN', 'secret env= is not supported: mount the secret as a file');
  fails('type=secret', 'invalid secret mount. one of source, target required');
  fails('type=secret,id=a,source=b', "both source and id can't be set");
  fails('type=secret,id=a,from=x', 'secret mount should not have a from');
  fails('type=secret,id=a,sharing=locked', 'secret mount should not define sharing');
  fails('type=secret,id=a,required=maybe', 'invalid value for required: maybe');
});

test('ssh mounts are refused', () => {
  fails('type=ssh', 'ssh mounts are not supported');
  fails('type=ssh,required', 'ssh mounts are not supported');
});

test("BuildKit's errors for bad fields", () => {
  fails('type=volume,target=/x', 'unsupported mount type "volume"');
  fails('type=cahce,target=/x', 'unsupported mount type "cahce" (did you mean cache?)');
  fails('type=cache,target=/x,sharing=exclusive', 'unsupported sharing value "exclusive"');
  fails('type=cache,target=/x,sharing=lockd', 'unsupported sharing value "lockd" (did you mean locked?)');
  fails('target=/x,sharing=locked', 'invalid cache sharing set for bind mount');
  fails('target=/x,bogus', "invalid field 'bogus' must be a key=value pair");
  fails('target=/x,required', "unexpected key 'required' for mount type 'bind'");
  fails('target=/x,targte=/y', "unexpected key 'targte' in 'targte=/y' (did you mean target?)");
  fails('target=/x,colour=red', "unexpected key 'colour' in 'colour=red'");
  fails('target=/x,ro=yes', 'invalid value for ro: yes');
  fails('target=/x,rw=2', 'invalid value for rw: 2');
  fails('target=/x,mode=0755', 'mode not allowed for "bind" type mounts');
  fails('type=tmpfs,target=/x,uid=0', 'uid not allowed for "tmpfs" type mounts');
  fails('type=cache,target=/x,mode=0789', 'invalid value 0789 for mode');
  fails('type=cache,target=/x,uid=-1', 'invalid value -1 for uid');
  fails('type=cache,target=/x,gid=4294967296', 'invalid value 4294967296 for gid');
  fails('target=/x,env=A', "unexpected key 'env' for mount type 'bind'");
  fails('', 'failed to parse csv mounts: EOF');
  fails('target="/x', 'failed to parse csv mounts: parse error on line 1, column 8: bare " in non-quoted-field');
});

test('values are expanded with the stage args and ENV, keys are not', () => {
  const expand = vars({ DIR: '/cache', ID: 'npm', MODE: 'shared' });
  assert.deepEqual(planMount(parseMount('type=cache,target=$DIR/npm,id=${ID},sharing=$MODE', expand), '/'), {
    type: 'cache', target: '/cache/npm', id: 'npm', sharing: 'shared', source: '/', readOnly: false,
  });
  assert.deepEqual(planMount(parseMount('type=secret,id=$ID', expand), '/').type, 'secret');
});

test('planMounts: every mount, a target only once', () => {
  const list = planMounts(['type=cache,target=/a', 'type=tmpfs,target=/b', 'type=secret,id=s'], noVars, '/');
  assert.deepEqual(list.map((m) => m.type), ['cache', 'tmpfs', 'secret']);
  assert.throws(() => planMounts(['type=cache,target=/a', 'type=tmpfs,target=/a/'], noVars, '/'), /mount target \/a is used more than once/);
});

test('describeMount: the options only, never a secret', () => {
  assert.equal(describeMount(plan('source=app,target=/src,rw')), '--mount=type=bind,source=/app,target=/src,rw');
  assert.equal(describeMount(plan('from=build,target=/b')), '--mount=type=bind,from=build,source=/,target=/b,ro');
  assert.equal(describeMount(plan('type=cache,target=/c,id=x,mode=755,uid=1')), '--mount=type=cache,id=x,target=/c,sharing=shared,source=/,mode=0755,uid=1,rw');
  assert.equal(describeMount(plan('type=tmpfs,target=/t,size=1k')), '--mount=type=tmpfs,target=/t,size=1024,rw');
  assert.equal(describeMount(plan('type=secret,id=tok,required')), '--mount=type=secret,id=tok,target=/run/secrets/tok,required=true,mode=0400,uid=0,gid=0');
});

test('cacheDirName: the id alone, or with what the cache starts from', () => {
  const cache = (spec: string) => plan(spec) as Extract<StepMount, { type: 'cache' }>;
  const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
  assert.equal(cacheDirName(cache('type=cache,target=/c'), undefined), sha('/c'));
  assert.equal(cacheDirName(cache('type=cache,target=/c,id=go'), undefined), cacheDirName(cache('type=cache,target=/d,id=go'), undefined));
  assert.equal(cacheDirName(cache('type=cache,target=/c,sharing=locked'), undefined), sha('/c'));
  const names = new Set([
    cacheDirName(cache('type=cache,target=/c'), undefined),
    cacheDirName(cache('type=cache,target=/c,uid=1'), undefined),
    cacheDirName(cache('type=cache,target=/c,mode=700'), undefined),
    cacheDirName(cache('type=cache,target=/c,from=a'), 'sha256:1'),
    cacheDirName(cache('type=cache,target=/c,from=a'), 'sha256:2'),
    cacheDirName(cache('type=cache,target=/c,from=a,source=/x'), 'sha256:2'),
  ]);
  assert.equal(names.size, 6);
});

test('mount points: those the image lacked, left out when nothing else uses them', async () => {
  const image = new Set(['/run', '/tmp', '/usr']);
  const made = await mountPointsToMake([['run', 'secrets', 'tok'], ['tmp', 'cache'], ['usr'], ['a', 'b'], ['a', 'c']], async (p) => image.has(p));
  assert.deepEqual([...made].sort(), ['/a', '/a/b', '/a/c', '/run/secrets', '/run/secrets/tok', '/tmp/cache']);
  // After the step: /a also holds a file the command wrote, /tmp/cache is a directory left empty.
  const after: Record<string, Found> = {
    '/run/secrets': { kind: 'dir', names: ['tok'] }, '/run/secrets/tok': { kind: 'file', size: 0 },
    '/tmp/cache': { kind: 'dir', names: [] }, '/a': { kind: 'dir', names: ['b', 'c', 'made-by-run'] },
    '/a/b': { kind: 'dir', names: [] }, '/a/c': { kind: 'file', size: 3 },
  };
  const drop = await unusedMountPoints(made, async (p) => after[p]);
  assert.deepEqual([...drop].sort(), ['/a/b', '/run/secrets', '/run/secrets/tok', '/tmp/cache']);
  // A path that is gone or became something else stays out of it.
  assert.deepEqual([...(await unusedMountPoints(new Set(['/x', '/y']), async (p) => (p === '/x' ? undefined : { kind: 'other' })))], []);
});

test('the secrets header: base64 of a JSON object of base64 values', () => {
  const header = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64');
  const s = parseSecrets(header({ tok: Buffer.from('s3cr3t\n').toString('base64'), bin: Buffer.from([0, 255]).toString('base64') }));
  assert.deepEqual([...s.keys()], ['tok', 'bin']);
  assert.equal(s.get('tok')!.toString(), 's3cr3t\n');
  assert.deepEqual([...s.get('bin')!], [0, 255]);
  assert.equal(parseSecrets(undefined).size, 0);
  assert.equal(parseSecrets('').size, 0);
  assert.throws(() => parseSecrets('not base64!'), /invalid x-berth-build-secrets header: not base64/);
  assert.throws(() => parseSecrets(header(['a'])), /not base64 of a JSON object/);
  assert.throws(() => parseSecrets(Buffer.from('{').toString('base64')), /not base64 of a JSON object/);
  assert.throws(() => parseSecrets(header({ a: 1 })), /secret "a" is not base64/);
});

test('CacheMounts: shared and private use, locked waits, prune keeps what is in use', async () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-cache-mounts-'));
  try {
    const mounts = new CacheMounts(join(root, 'cache-mounts'));
    await mounts.init();
    const about = { id: 'npm', target: '/root/.npm' };
    let made = 0;
    const init = async (dir: string): Promise<void> => {
      made++;
      writeFileSync(join(dir, 'seed'), 'x');
    };
    const a = await mounts.acquire('n', 'shared', about, init);
    const b = await mounts.acquire('n', 'shared', about, init);
    assert.equal(a.path, b.path);
    assert.equal(made, 1);
    assert.equal(readFileSync(join(a.path, 'seed'), 'utf8'), 'x');
    // private: the directory is in use, so another one (made the same way).
    const p = await mounts.acquire('n', 'private', about, init);
    assert.equal(p.path, join(root, 'cache-mounts', 'n-1'));
    assert.equal(made, 2);
    // locked: the second user gets it only once the first let go.
    const first = await mounts.acquire('l', 'locked', about, init);
    let second: { path: string; release(): Promise<void> } | undefined;
    const waiting = mounts.acquire('l', 'locked', about, init).then((lease) => (second = lease));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(second, undefined);
    await first.release();
    await waiting;
    assert.equal(second!.path, first.path);
    const usage = (await mounts.usage()) as { ID: string; Type: string; InUse: boolean; Description: string; UsageCount: number }[];
    assert.deepEqual(usage.map((u) => [u.ID, u.InUse]), [['l', true], ['n', true], ['n-1', true]]);
    assert.equal(usage[0]!.Type, 'exec.cachemount');
    assert.equal(usage[0]!.Description, 'cached mount /root/.npm with id "npm"');
    assert.equal(usage[0]!.UsageCount, 1);
    await a.release();
    await b.release();
    await second!.release();
    // n-1 is still held: prune leaves it.
    const pruned = await mounts.prune(() => true);
    assert.deepEqual(pruned.ids, ['l', 'n']);
    assert.equal(pruned.space, 2);
    assert.deepEqual(readdirSync(join(root, 'cache-mounts')).sort(), ['n-1', 'n-1.json']);
    await p.release();
    // Only the records chosen go; a private copy's record ID keeps its -N apart from the directory it copies.
    assert.deepEqual((await mounts.prune((id) => id === 'n')).ids, []);
    const long = 'f'.repeat(64);
    const held = await mounts.acquire(long, 'private', about, init);
    const copy = await mounts.acquire(long, 'private', about, init);
    assert.deepEqual((await mounts.usage()).map((u) => u.ID), ['f'.repeat(25), `${'f'.repeat(23)}-1`, 'n-1']);
    await held.release();
    await copy.release();
    assert.deepEqual((await mounts.prune((id) => id.endsWith('-1'))).ids, [`${'f'.repeat(23)}-1`, 'n-1']);
    assert.deepEqual((await mounts.prune(() => true)).ids, ['f'.repeat(25)]);
    // A failed init leaves nothing.
    await assert.rejects(mounts.acquire('bad', 'shared', about, async () => {
      throw new Error('no');
    }), /no/);
    assert.deepEqual(readdirSync(join(root, 'cache-mounts')), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
