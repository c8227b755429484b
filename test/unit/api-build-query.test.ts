import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBuildQuery, stringList } from '../../src/api/routes/build-query.ts';
import { checkExtraHost } from '../../src/network/extra-hosts.ts';

const q = (s: string): URLSearchParams => new URLSearchParams(s);

/** The 400 a query is refused with. */
function refused(query: string, message: RegExp): void {
  assert.throws(() => parseBuildQuery(q(query)), (err: Error & { status?: number }) => {
    assert.equal(err.status, 400, err.message);
    assert.match(err.message, message);
    return true;
  }, query);
}

test('the RUN containers\' settings as the docker CLI sends them', () => {
  const ulimits = JSON.stringify([{ Name: 'nofile', Hard: 2048, Soft: 1024 }]);
  const p = parseBuildQuery(q(`extrahosts=db:10.0.0.5&extrahosts=gw:host-gateway&shmsize=134217728&memory=67108864&memswap=-1&cpushares=512&cpuperiod=50000&cpuquota=25000&cpusetcpus=0&cpusetmems=0&ulimits=${encodeURIComponent(ulimits)}&cachefrom=${encodeURIComponent('["app:1","app:build"]')}&platform=linux/amd64&isolation=default&cgroupparent=/custom`));
  assert.deepEqual(p.host, {
    ExtraHosts: ['db:10.0.0.5', 'gw:host-gateway'], ShmSize: 134217728, Memory: 67108864, MemorySwap: -1, CpuShares: 512,
    CpuPeriod: 50000, CpuQuota: 25000, CpusetCpus: '0', CpusetMems: '0', Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
    CgroupParent: '/custom',
  });
  assert.deepEqual(p.cacheFrom, ['app:1', 'app:build']);
  // berth's client sends every option, empty ones included: they set nothing.
  const empty = parseBuildQuery(q('memory=0&shmsize=0&cpusetcpus=&ulimits=[]&cachefrom=[]&ulimits=null&cgroupparent='));
  assert.deepEqual(empty, { host: {}, remove: { success: true, failure: false }, cacheFrom: [] });
});

test('rm and forcerm as moby reads them: rm unless rm=0, forcerm removes failed steps\' containers too', () => {
  assert.deepEqual(parseBuildQuery(q('')).remove, { success: true, failure: false });
  assert.deepEqual(parseBuildQuery(q('rm=0')).remove, { success: false, failure: false });
  assert.deepEqual(parseBuildQuery(q('rm=false')).remove, { success: false, failure: false });
  assert.deepEqual(parseBuildQuery(q('rm=1')).remove, { success: true, failure: false });
  assert.deepEqual(parseBuildQuery(q('rm=0&forcerm=1')).remove, { success: true, failure: true });
});

test('what a Linux daemon cannot honour is a 400 with moby\'s words, or clear ones of berth\'s', () => {
  refused('securityopt=seccomp=unconfined', /^The daemon on this platform does not support setting security options on build$/);
  refused('isolation=hyperv', /^Unsupported isolation: "hyperv"$/);
  refused('squash=1', /^squash is only supported with experimental mode$/);
  refused('platform=linux/arm64', /^platform "linux\/arm64" is not supported: berth builds linux\/amd64 images only$/);
  refused('extrahosts=nocolon', /^bad format for add-host: "nocolon"$/);
  refused('extrahosts=db:999.1.1.1', /^invalid IP address in add-host: "999.1.1.1"$/);
  refused('memory=lots', /memory/);
  refused('ulimits={', /^invalid JSON in ulimits/);
  refused(`ulimits=${encodeURIComponent('[{"Name":"nofile","Soft":"1"}]')}`, /^error reading ulimit settings/);
  refused('cachefrom=app:1', /^invalid JSON in cachefrom/);
  refused('cachefrom=[1]', /^cachefrom: expected a JSON list of strings/);
  assert.deepEqual(parseBuildQuery(q('isolation=Default&squash=0')).host, {});
});

test('extra hosts are checked as moby\'s ValidateExtraHost does: split at the first colon, IPv6 addresses allowed', () => {
  assert.equal(checkExtraHost('v6:::1'), 'v6:::1');
  assert.equal(checkExtraHost('v6:fe80::1'), 'v6:fe80::1');
  assert.throws(() => checkExtraHost(':1.2.3.4'), /bad format/);
  assert.throws(() => checkExtraHost('a:'), /invalid IP address in add-host: ""/);
  assert.deepEqual(stringList(null, 'x'), []);
  assert.deepEqual(stringList('["a"]', 'x'), ['a']);
});
