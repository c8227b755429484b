// Routing, API versions and query parameters as the Docker Engine API has them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_VERSION, MIN_API_VERSION, Router, boolParam, compareVersions, filtersParam, intParam, splitVersion, type Handler } from '../../src/api/router.ts';
import { parseTimeParam } from '../../src/api/routes/params.ts';
import { ApiError } from '../../src/util/errors.ts';

const badRequest = (re?: RegExp) => (err: unknown): boolean => {
  assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
  assert.equal(err.status, 400);
  if (re) assert.match(err.message, re);
  return true;
};

const q = (s: string): URLSearchParams => new URLSearchParams(s);

function router(): { r: Router; h: Record<string, Handler> } {
  const h: Record<string, Handler> = {};
  const r = new Router();
  for (const [method, path] of [
    ['GET', '/containers/json'],
    ['GET', '/containers/{id}/json'],
    ['POST', '/containers/{id}/start'],
    ['DELETE', '/containers/{id}'],
    ['GET', '/images/{name*}/json'],
    ['DELETE', '/images/{name*}'],
    ['POST', '/images/{name*}/tag'],
    ['GET', '/_ping'],
  ] as const) {
    const handler: Handler = () => {};
    h[`${method} ${path}`] = handler;
    r.add(method, path, handler);
  }
  return { r, h };
}

test('Router: exact paths and {param} segments', () => {
  const { r, h } = router();
  const list = r.match('GET', '/containers/json');
  assert.ok(list && list !== 'method');
  assert.equal(list.handler, h['GET /containers/json']);
  assert.deepEqual(list.params, {});

  const inspect = r.match('GET', '/containers/abc123/json');
  assert.ok(inspect && inspect !== 'method');
  assert.equal(inspect.handler, h['GET /containers/{id}/json']);
  assert.deepEqual(inspect.params, { id: 'abc123' });

  const del = r.match('DELETE', '/containers/web');
  assert.ok(del && del !== 'method');
  assert.deepEqual(del.params, { id: 'web' });
});

test('Router: {name*} spans slashes (image names)', () => {
  const { r, h } = router();
  const m = r.match('GET', '/images/localhost:5000/team/app:v1/json');
  assert.ok(m && m !== 'method');
  assert.equal(m.handler, h['GET /images/{name*}/json']);
  assert.deepEqual(m.params, { name: 'localhost:5000/team/app:v1' });

  const tag = r.match('POST', '/images/busybox/tag');
  assert.ok(tag && tag !== 'method');
  assert.deepEqual(tag.params, { name: 'busybox' });

  const del = r.match('DELETE', '/images/library/busybox:latest');
  assert.ok(del && del !== 'method');
  assert.deepEqual(del.params, { name: 'library/busybox:latest' });

  // An image whose name itself ends in /json still resolves to the inspect route.
  const odd = r.match('GET', '/images/team/json/json');
  assert.ok(odd && odd !== 'method');
  assert.deepEqual(odd.params, { name: 'team/json' });
});

test('Router: parameters are percent-decoded', () => {
  const { r } = router();
  const m = r.match('GET', '/images/localhost%3A5000%2Fapp/json');
  assert.ok(m && m !== 'method');
  assert.deepEqual(m.params, { name: 'localhost:5000/app' });
  const c = r.match('GET', '/containers/my%20box/json');
  assert.ok(c && c !== 'method');
  assert.deepEqual(c.params, { id: 'my box' });
});

test('Router: a {param} does not span slashes', () => {
  const { r } = router();
  assert.equal(r.match('GET', '/containers/a/b/json'), undefined);
  assert.equal(r.match('POST', '/containers//start'), undefined);
});

test('Router: a known path with the wrong method is "method" (405), an unknown path undefined (404)', () => {
  const { r } = router();
  assert.equal(r.match('POST', '/containers/json'), 'method');
  assert.equal(r.match('GET', '/containers/abc/start'), 'method');
  assert.equal(r.match('PUT', '/images/busybox'), 'method');
  assert.equal(r.match('GET', '/nothing/here'), undefined);
  assert.equal(r.match('GET', '/containers/json/extra'), undefined);
  assert.equal(r.match('GET', '/containers'), undefined);
});

test('Router: HEAD is served by the GET route', () => {
  const { r, h } = router();
  const m = r.match('HEAD', '/_ping');
  assert.ok(m && m !== 'method');
  assert.equal(m.handler, h['GET /_ping']);
  assert.equal(r.match('HEAD', '/containers/abc/start'), 'method');
});

test('Router: the first matching route wins', () => {
  const r = new Router();
  const specific: Handler = () => {};
  const generic: Handler = () => {};
  r.add('GET', '/containers/json', specific);
  r.add('GET', '/containers/{id}', generic);
  const m = r.match('GET', '/containers/json');
  assert.ok(m && m !== 'method');
  assert.equal(m.handler, specific);
});

test('splitVersion: versioned and unversioned paths', () => {
  assert.deepEqual(splitVersion('/v1.41/containers/json'), { version: '1.41', path: '/containers/json' });
  assert.deepEqual(splitVersion('/v1.24/_ping'), { version: '1.24', path: '/_ping' });
  assert.deepEqual(splitVersion('/v1.30/images/busybox/json'), { version: '1.30', path: '/images/busybox/json' });
  assert.deepEqual(splitVersion('/containers/json'), { version: API_VERSION, path: '/containers/json' });
  assert.deepEqual(splitVersion('/_ping'), { version: API_VERSION, path: '/_ping' });
  assert.equal(API_VERSION, '1.41');
  assert.equal(MIN_API_VERSION, '1.24');
});

test('splitVersion: too new and too old versions get docker\'s messages', () => {
  assert.throws(() => splitVersion('/v1.42/containers/json'), badRequest(/^client version 1\.42 is too new\. Maximum supported API version is 1\.41$/));
  assert.throws(() => splitVersion('/v2.0/info'), badRequest(/is too new/));
  assert.throws(() => splitVersion('/v1.100/info'), badRequest(/client version 1\.100 is too new/));
  assert.throws(() => splitVersion('/v1.23/info'), badRequest(/^client version 1\.23 is too old\. Minimum supported API version is 1\.24, please upgrade your client to a newer version$/));
  // 1.9 is older than 1.24: versions compare numerically, not as strings.
  assert.throws(() => splitVersion('/v1.9/info'), badRequest(/client version 1\.9 is too old/));
});

test('compareVersions compares major then minor numerically', () => {
  assert.ok(compareVersions('1.41', '1.24') > 0);
  assert.ok(compareVersions('1.9', '1.24') < 0);
  assert.ok(compareVersions('2.0', '1.99') > 0);
  assert.equal(compareVersions('1.41', '1.41'), 0);
});

test('filtersParam: the current {"key": ["v"]} encoding', () => {
  assert.deepEqual(filtersParam(q('filters=' + encodeURIComponent('{"status":["running","paused"],"label":["a=b"]}'))), { status: ['running', 'paused'], label: ['a=b'] });
});

test('filtersParam: the older {"key": {"v": true}} encoding', () => {
  assert.deepEqual(filtersParam(q('filters=' + encodeURIComponent('{"status":{"running":true},"name":{"web":true,"db":true}}'))), { status: ['running'], name: ['web', 'db'] });
});

test('filtersParam: absent or empty is no filters', () => {
  assert.deepEqual(filtersParam(q('')), {});
  assert.deepEqual(filtersParam(q('filters=')), {});
  assert.deepEqual(filtersParam(q('filters=%7B%7D')), {});
});

test('filtersParam: invalid JSON or shapes are a 400', () => {
  for (const raw of ['{', 'status=running', '"running"', '5', '{"status":"running"}', '{"status":5}']) {
    assert.throws(() => filtersParam(q('filters=' + encodeURIComponent(raw))), badRequest(/invalid filter/), raw);
  }
});

test('boolParam: docker\'s truthy values', () => {
  for (const v of ['1', 'true', 'True', 'TRUE', 'yes', 'on', 'anything']) assert.equal(boolParam(q(`x=${v}`), 'x'), true, v);
  for (const v of ['', '0', 'false', 'False', 'FALSE']) assert.equal(boolParam(q(`x=${v}`), 'x'), false, JSON.stringify(v));
  assert.equal(boolParam(q(''), 'x'), false);
});

test('boolParam: "no" and "none" are false too', () => {
  for (const v of ['no', 'NO', 'none', 'None']) assert.equal(boolParam(q(`x=${v}`), 'x'), false, v);
});

test('intParam: integers, or undefined when absent; anything else is a 400', () => {
  assert.equal(intParam(q('t=10'), 't'), 10);
  assert.equal(intParam(q('t=-1'), 't'), -1);
  assert.equal(intParam(q('t=0'), 't'), 0);
  assert.equal(intParam(q(''), 't'), undefined);
  assert.equal(intParam(q('t='), 't'), undefined);
  for (const v of ['abc', '1.5', '1e400']) assert.throws(() => intParam(q(`t=${v}`), 't'), badRequest(/invalid value for t/), v);
});

test('parseTimeParam: unix seconds (with fraction) or RFC 3339, in ms', () => {
  assert.equal(parseTimeParam(null), undefined);
  assert.equal(parseTimeParam(''), undefined);
  assert.equal(parseTimeParam('1700000000'), 1_700_000_000_000);
  assert.equal(parseTimeParam('1700000000.5'), 1_700_000_000_500);
  assert.equal(parseTimeParam('0'), 0);
  assert.equal(parseTimeParam('2024-01-02T03:04:05Z'), Date.UTC(2024, 0, 2, 3, 4, 5));
  assert.equal(parseTimeParam('2024-01-02T04:04:05+01:00'), Date.UTC(2024, 0, 2, 3, 4, 5));
});

test('parseTimeParam: garbage is a 400', () => {
  assert.throws(() => parseTimeParam('yesterday'), badRequest(/invalid time value: yesterday/));
});
