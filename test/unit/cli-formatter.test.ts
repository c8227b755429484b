import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSummary, ImageSummary } from '../../src/client/types.ts';
import { CONTAINER_HEADERS, containerContext, DEFAULT_PS_FORMAT, displayablePorts, truncateId } from '../../src/cli/context-container.ts';
import { DEFAULT_IMAGE_FORMAT, IMAGE_HEADERS, imageContext, imageRows } from '../../src/cli/context-image.ts';
import { summaryRows } from '../../src/cli/commands/df.ts';
import { eventView, prettyEvent } from '../../src/cli/commands/events.ts';
import { serverText } from '../../src/cli/commands/info.ts';
import { reformatDate } from '../../src/cli/commands/version.ts';
import { renderItems } from '../../src/cli/formatter.ts';
import { compactJson, indentJson } from '../../src/cli/jsonindent.ts';
import { execute, goJson, parseTemplate } from '../../src/cli/template.ts';

const NOW = Date.UTC(2024, 0, 1, 12, 0, 0);
const created = NOW / 1000 - 125;

function summary(over: Partial<ContainerSummary> = {}): ContainerSummary {
  return {
    Id: 'a'.repeat(64), Names: ['/web'], Image: 'busybox', ImageID: 'sha256:' + 'b'.repeat(64), Command: "sh -c 'echo hello world; sleep 1000'",
    Created: created, Ports: [], Labels: { b: '2', a: '1' }, State: 'running', Status: 'Up 2 minutes', ...over,
  };
}

const ctx = (c: ContainerSummary, trunc = true): object => containerContext(c, { trunc, now: NOW });

test('docker ps default table', () => {
  const out = renderItems(DEFAULT_PS_FORMAT, [ctx(summary()), ctx(summary({ Id: 'c'.repeat(64), Names: ['/db'], Image: 'sha256:' + 'b'.repeat(64), State: 'exited', Status: 'Exited (0) 3 minutes ago', Ports: [{ PrivatePort: 80, Type: 'tcp' }, { IP: '0.0.0.0', PrivatePort: 443, PublicPort: 8443, Type: 'tcp' }, { PrivatePort: 81, Type: 'tcp' }] }))], CONTAINER_HEADERS);
  assert.equal(
    out,
    [
      'CONTAINER ID   IMAGE          COMMAND                  CREATED         STATUS                     PORTS                              NAMES',
      'aaaaaaaaaaaa   busybox        "sh -c \'echo hello w…"   2 minutes ago   Up 2 minutes                                                  web',
      'cccccccccccc   bbbbbbbbbbbb   "sh -c \'echo hello w…"   2 minutes ago   Exited (0) 3 minutes ago   80-81/tcp, 0.0.0.0:8443->443/tcp   db',
      '',
    ].join('\n'),
  );
});

test('an empty table still has its header', () => {
  assert.equal(renderItems(DEFAULT_PS_FORMAT, [], CONTAINER_HEADERS), 'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n');
  assert.equal(renderItems('{{.ID}}', [], CONTAINER_HEADERS), '');
});

test('json rows carry every field, HTML-escaped as docker emits them', () => {
  const out = renderItems('json', [ctx(summary({ Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }] }))], CONTAINER_HEADERS);
  const row = JSON.parse(out) as Record<string, unknown>;
  assert.deepEqual(Object.keys(row), ['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Platform', 'Ports', 'RunningFor', 'Size', 'State', 'Status']);
  assert.equal(row.Labels, 'a=1,b=2');
  assert.equal(row.Size, '0B');
  assert.ok(out.includes('0.0.0.0:8080-\\u003e80/tcp'));
});

test('custom and table templates', () => {
  const c = ctx(summary({ Names: ['/web', '/other/link'], SizeRw: 1234, SizeRootFs: 4270000 }));
  assert.equal(renderItems('{{.Names}}|{{.Label "a"}}|{{.Size}}', [c], CONTAINER_HEADERS), 'web|1|1.23kB (virtual 4.27MB)\n');
  assert.equal(renderItems('table {{.Names}}\\t{{.State}}', [c], CONTAINER_HEADERS), 'NAMES     STATE\nweb       running\n');
  assert.equal(renderItems('{{.Names}}', [ctx(summary({ Names: ['/web', '/other/link'] }), false)], CONTAINER_HEADERS), 'web,other/link\n');
  assert.throws(() => renderItems('{{.Nope}}', [c], CONTAINER_HEADERS), /template parsing error: template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type \*formatter.ContainerContext/);
  assert.throws(() => renderItems('{{.ID', [c], CONTAINER_HEADERS), /template parsing error: template: :1: unclosed action/);
});

test('container fields', () => {
  const c = ctx(summary({ Image: 'docker.io/library/nginx:1.25@sha256:' + 'd'.repeat(64), Command: 'short' })) as Record<string, () => unknown>;
  assert.equal(c.Image!(), 'nginx:1.25');
  assert.equal(c.Command!(), '"short"');
  assert.equal(c.RunningFor!(), '2 minutes ago');
  assert.equal((ctx(summary({ Image: '' })) as Record<string, () => unknown>).Image!(), '<no image>');
  assert.equal(truncateId('sha256:' + '1'.repeat(64)), '111111111111');
});

test('ports group consecutive numbers and list mappings last', () => {
  assert.equal(displayablePorts([{ PrivatePort: 80, Type: 'tcp' }, { PrivatePort: 81, Type: 'tcp' }, { PrivatePort: 53, Type: 'udp' }]), '53/udp, 80-81/tcp');
  assert.equal(displayablePorts([{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 80, Type: 'tcp' }, { IP: '0.0.0.0', PrivatePort: 81, PublicPort: 81, Type: 'tcp' }]), '0.0.0.0:80-81->80-81/tcp');
  assert.equal(displayablePorts([{ IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }]), '[::]:8080->80/tcp');
  assert.equal(displayablePorts(null), '');
});

function image(over: Partial<ImageSummary>): ImageSummary {
  return { Id: 'sha256:' + '1'.repeat(64), RepoTags: [], RepoDigests: [], Created: NOW / 1000 - 3 * 365 * 86400, Size: 4270000, SharedSize: -1, Containers: -1, ...over };
}

test('image rows: one per tag, dangling as <none>, digests on request', () => {
  const imgs = [
    image({ RepoTags: ['busybox:latest', 'busybox:1.36'], RepoDigests: ['busybox@sha256:' + '2'.repeat(64)] }),
    image({ Id: 'sha256:' + '3'.repeat(64), Size: 1234 }),
    image({ Id: 'sha256:' + '4'.repeat(64), RepoDigests: ['alpine@sha256:' + '5'.repeat(64)] }),
  ];
  const plain = imageRows(imgs, false, false).map((r) => `${r.repo}:${r.tag}:${r.digest}`);
  assert.deepEqual(plain, ['busybox:latest:<none>', 'busybox:1.36:<none>', '<none>:<none>:<none>', 'alpine:<none>:']);
  const digests = imageRows(imgs, true, true).map((r) => `${r.repo}:${r.tag}:${r.digest.slice(0, 10)}`);
  assert.deepEqual(digests, ['busybox:latest:sha256:222', 'busybox:1.36:sha256:222', '<none>:<none>:<none>', 'alpine:<none>:sha256:555']);
  const table = renderItems(DEFAULT_IMAGE_FORMAT, imageRows(imgs.slice(0, 2), false, false).map((r) => imageContext(r, true, NOW)), IMAGE_HEADERS);
  assert.match(table, /^REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\nbusybox      latest    111111111111   3 years ago   4.27MB\n/);
  assert.match(table, /<none>       <none>    333333333333   3 years ago   1.23kB\n$/);
});

test('system df summary totals', () => {
  const rows = summaryRows({
    LayersSize: 4270000,
    Images: [image({ Size: 4270000, SharedSize: 0, Containers: 1 })],
    Containers: [summary({ SizeRw: 100 }), summary({ State: 'exited', SizeRw: 300 })],
    Volumes: [{ Name: 'v', UsageData: { Size: 2048, RefCount: 0 } }],
    BuildCache: [],
  });
  const out = renderItems('table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}', rows, { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' });
  assert.equal(
    out,
    [
      'TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE',
      'Images          1         1         4.27MB    0B (0%)',
      'Containers      2         1         400B      300B (75%)',
      'Local Volumes   1         0         2.048kB   2.048kB (100%)',
      'Build Cache     0         0         0B        0B',
      '',
    ].join('\n'),
  );
});

test('events: pretty lines, Go field names in templates, JSON names in json', { skip: new Date().getTimezoneOffset() !== 0 && 'needs TZ=UTC' }, () => {
  const e = { status: 'start', id: 'abc', from: 'busybox', Type: 'container', Action: 'start', Actor: { ID: 'abc', Attributes: { name: 'web', image: 'busybox' } }, scope: 'local', time: 1700000000, timeNano: 1700000000123456789n };
  assert.equal(prettyEvent(e), '2023-11-14T22:13:20.123456789Z container start abc (image=busybox, name=web)\n');
  const view = eventView(e);
  assert.equal(execute(parseTemplate('{{.Status}} {{.ID}} {{.Actor.Attributes.name}} {{.TimeNano}}'), view), 'start abc web 1700000000123456789');
  assert.equal(goJson(view), '{"status":"start","id":"abc","from":"busybox","Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{"image":"busybox","name":"web"}},"scope":"local","time":1700000000,"timeNano":1700000000123456789}');
  // Validation runs against an empty message: attribute lookups must not fail there.
  assert.equal(execute(parseTemplate('{{.Actor.Attributes.name}}'), eventView({})), '<no value>');
});

test('version dates', () => {
  assert.equal(reformatDate('2024-01-01T00:00:00Z'), 'Mon Jan  1 00:00:00 2024');
  assert.equal(reformatDate('2025-05-30T12:07:14.000000000+00:00'), 'Fri May 30 12:07:14 2025');
  assert.equal(reformatDate('unknown'), 'unknown');
});

test('inspect JSON keeps the daemon text, re-indented as Go does', () => {
  const raw = '[{"Id":"x","Args":[],"Config":{"Labels":{},"Env":["A=<b>"],"N":1.50},"S":"a\\"b"}]';
  assert.equal(indentJson(raw), '[\n    {\n        "Id": "x",\n        "Args": [],\n        "Config": {\n            "Labels": {},\n            "Env": [\n                "A=<b>"\n            ],\n            "N": 1.50\n        },\n        "S": "a\\"b"\n    }\n]');
  assert.equal(compactJson('[ {"a" : [1, 2]} ]'), '[{"a":[1,2]}]');
});

test("info's server section follows docker's layout", () => {
  const text = serverText({
    Containers: 3, ContainersRunning: 1, ContainersPaused: 0, ContainersStopped: 2, Images: 5, ServerVersion: '0.1.0', Driver: 'overlay2',
    DriverStatus: [['Backing Filesystem', 'extfs']], LoggingDriver: 'json-file', CgroupDriver: 'cgroupfs', CgroupVersion: '2',
    Plugins: { Volume: ['local'], Network: ['bridge', 'host'], Authorization: null, Log: ['json-file'] }, Swarm: { LocalNodeState: 'inactive' },
    Runtimes: { runc: {}, crun: {} }, DefaultRuntime: 'runc', OSType: 'linux', InitBinary: 'docker-init', ContainerdCommit: { ID: '' }, RuncCommit: { ID: 'v1' }, InitCommit: { ID: '' },
    SecurityOptions: ['name=seccomp,profile=builtin', 'name=cgroupns'], KernelVersion: '6.1', OperatingSystem: 'Debian', Architecture: 'x86_64', NCPU: 4, MemTotal: 8254181376,
    Name: 'host', ID: 'abc', DockerRootDir: '/var/lib/berth', Debug: false, ExperimentalBuild: false, LiveRestoreEnabled: false,
  }, false);
  assert.equal(text, [
    ' Containers: 3', '  Running: 1', '  Paused: 0', '  Stopped: 2', ' Images: 5', ' Server Version: 0.1.0', ' Storage Driver: overlay2', '  Backing Filesystem: extfs',
    ' Logging Driver: json-file', ' Cgroup Driver: cgroupfs', ' Cgroup Version: 2', ' Plugins:', '  Volume: local', '  Network: bridge host', '  Log: json-file', ' Swarm: inactive',
    ' Runtimes: crun runc', ' Default Runtime: runc', ' Init Binary: docker-init', ' containerd version: ', ' runc version: v1', ' init version: ', ' Security Options:', '  seccomp', '   Profile: builtin', '  cgroupns',
    ' Kernel Version: 6.1', ' Operating System: Debian', ' OSType: linux', ' Architecture: x86_64', ' CPUs: 4', ' Total Memory: 7.687GiB', ' Name: host', ' ID: abc',
    ' Docker Root Dir: /var/lib/berth', ' Debug Mode: false', ' Experimental: false', ' Live Restore Enabled: false', '', '',
  ].join('\n'));
});
