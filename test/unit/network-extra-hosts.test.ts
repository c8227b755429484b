// --add-host entries: the API's `name:address` split at the first colon
// (IPv6 addresses have more), and what /etc/hosts then says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExtraHost } from '../../src/network/extra-hosts.ts';
import { hostsFile } from '../../src/engine/rootfs-setup.ts';

test('an entry splits at its first colon; host-gateway passes; bad names and addresses are refused', () => {
  assert.deepEqual(parseExtraHost('db:10.0.0.5'), { name: 'db', address: '10.0.0.5' });
  assert.deepEqual(parseExtraHost('v6:2001:db8::1'), { name: 'v6', address: '2001:db8::1' });
  assert.deepEqual(parseExtraHost('lo6:::1'), { name: 'lo6', address: '::1' });
  assert.deepEqual(parseExtraHost('gw:host-gateway'), { name: 'gw', address: 'host-gateway' });
  assert.throws(() => parseExtraHost('nocolon'), /^Error: bad format for add-host: "nocolon"$/);
  assert.throws(() => parseExtraHost(':10.0.0.5'), /bad format/);
  // The API has no brackets: that is the client's form.
  assert.throws(() => parseExtraHost('v6:[::1]'), /^Error: invalid IP address in add-host: "\[::1\]"$/);
});

test('/etc/hosts lists the entries as address, then name, before the container\'s own line', () => {
  const text = hostsFile('box', [parseExtraHost('db:10.0.0.5'), parseExtraHost('v6:2001:db8::1')], '172.17.0.2');
  const lines = text.split('\n');
  assert.deepEqual(lines.slice(-4), ['10.0.0.5\tdb', '2001:db8::1\tv6', '172.17.0.2\tbox', '']);
});
