// Manifests and indexes: reading, checking, choosing the platform, writing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MEDIA } from '../../src/image/types.ts';
import { dockerManifest, parseManifest, parsePlatform, selectManifest } from '../../src/distribution/manifest.ts';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const json = (o: object): Buffer => Buffer.from(JSON.stringify(o));
const image = (mediaType?: string, layerType: string = MEDIA.dockerLayerGzip): Buffer => json({
  schemaVersion: 2,
  ...(mediaType ? { mediaType } : {}),
  config: { mediaType: MEDIA.dockerConfig, digest: d('a'), size: 100 },
  layers: [{ mediaType: layerType, digest: d('b'), size: 2000 }],
});

test('Docker v2 schema 2 and OCI image manifests', () => {
  const m = parseManifest(image(MEDIA.dockerManifest), MEDIA.dockerManifest);
  assert.equal(m.kind, 'image');
  assert.ok(m.kind === 'image' && m.config.digest === d('a') && m.layers[0]!.size === 2000);
  // OCI manifests may leave mediaType out; the Content-Type or the shape tells.
  const oci = parseManifest(image(undefined, MEDIA.ociLayerGzip), `${MEDIA.ociManifest}; charset=utf-8`);
  assert.equal(oci.mediaType, MEDIA.ociManifest);
  assert.equal(parseManifest(image(undefined, MEDIA.ociLayer), 'application/json').kind, 'image');
});

test('indexes and manifest lists', () => {
  const list = json({ schemaVersion: 2, mediaType: MEDIA.dockerList, manifests: [{ mediaType: MEDIA.dockerManifest, digest: d('c'), size: 500, platform: { os: 'linux', architecture: 'amd64' } }] });
  const parsed = parseManifest(list, MEDIA.dockerList);
  assert.equal(parsed.kind, 'index');
  const bare = parseManifest(json({ schemaVersion: 2, manifests: [] }), MEDIA.ociIndex);
  assert.equal(bare.kind, 'index');
});

test('what is refused: schema 1, other versions, bad digests and sizes, non-image artifacts, unknown layers', () => {
  assert.throws(() => parseManifest(json({ schemaVersion: 1, name: 'x', fsLayers: [] }), 'application/vnd.docker.distribution.manifest.v1+prettyjws'), /schema 1 is not supported/);
  assert.throws(() => parseManifest(json({ schemaVersion: 3 }), 'application/json'), /schemaVersion is not 2/);
  assert.throws(() => parseManifest(Buffer.from('{'), MEDIA.dockerManifest), /not JSON/);
  const bad = (patch: object): Buffer => json({ schemaVersion: 2, mediaType: MEDIA.dockerManifest, config: { mediaType: MEDIA.dockerConfig, digest: d('a'), size: 1 }, layers: [], ...patch });
  assert.throws(() => parseManifest(bad({ config: { mediaType: MEDIA.dockerConfig, digest: 'sha256:xyz', size: 1 } }), undefined), /invalid config digest/);
  assert.throws(() => parseManifest(bad({ config: { mediaType: MEDIA.dockerConfig, digest: `sha512:${'a'.repeat(128)}`, size: 1 } }), undefined), /unsupported digest algorithm/);
  assert.throws(() => parseManifest(bad({ layers: [{ mediaType: MEDIA.dockerLayerGzip, digest: d('b'), size: -1 }] }), undefined), /invalid layer size/);
  assert.throws(() => parseManifest(bad({ layers: [{ mediaType: MEDIA.dockerLayerGzip, digest: d('b'), size: 1.5 }] }), undefined), /invalid layer size/);
  assert.throws(() => parseManifest(bad({ config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: d('a'), size: 1 } }), undefined), /not a container image/);
  assert.throws(() => parseManifest(image(MEDIA.ociManifest, 'application/vnd.oci.image.layer.v1.tar+zstd'), undefined), /unsupported layer media type/);
  assert.throws(() => parseManifest(bad({ layers: undefined }), undefined), /no layers/);
});

test('the host platform is chosen from an index; variants and unknown entries are handled', () => {
  const entry = (c: string, platform: object): { mediaType: string; digest: string; size: number; platform: { os: string; architecture: string } } =>
    ({ mediaType: MEDIA.ociManifest, digest: d(c), size: 1, platform: platform as { os: string; architecture: string } });
  const manifests = [
    entry('1', { os: 'linux', architecture: 'arm', variant: 'v7' }),
    entry('2', { os: 'linux', architecture: 'arm64', variant: 'v8' }),
    entry('3', { os: 'linux', architecture: 'amd64' }),
    entry('4', { os: 'windows', architecture: 'amd64' }),
    entry('5', { os: 'unknown', architecture: 'unknown' }),
  ];
  assert.equal(selectManifest(manifests, parsePlatform('linux/amd64')).digest, d('3'));
  assert.equal(selectManifest(manifests, parsePlatform('linux/arm64')).digest, d('2'));
  assert.equal(selectManifest(manifests, parsePlatform('linux/arm64/v8')).digest, d('2'));
  assert.equal(selectManifest(manifests, parsePlatform('linux/arm/v7')).digest, d('1'));
  assert.equal(selectManifest(manifests, parsePlatform('windows/amd64')).digest, d('4'));
  assert.throws(() => selectManifest(manifests, parsePlatform('linux/arm/v6')), /no matching manifest for linux\/arm\/v6 in the manifest list entries/);
  assert.throws(() => selectManifest([manifests[0]!], parsePlatform('linux/amd64')), /no matching manifest for linux\/amd64/);
  // An entry without a variant wins when none is asked for.
  assert.equal(selectManifest([entry('6', { os: 'linux', architecture: 'amd64', variant: 'v3' }), entry('7', { os: 'linux', architecture: 'amd64' })], parsePlatform('linux/amd64')).digest, d('7'));
});

test('platform strings', () => {
  assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('Linux/ARM64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(parsePlatform('x86_64'), { os: 'linux', architecture: 'amd64' });
  assert.throws(() => parsePlatform('linux//amd64'), /invalid platform/);
  assert.throws(() => parsePlatform('a/b/c/d'), /invalid platform/);
});

test('the pushed manifest is Docker v2 schema 2, indented as moby writes it', () => {
  const bytes = dockerManifest({ mediaType: MEDIA.dockerConfig, digest: d('a'), size: 10 }, [{ mediaType: MEDIA.dockerLayerGzip, digest: d('b'), size: 20, annotations: { x: 'y' } }]);
  assert.equal(bytes.toString(), `{
   "schemaVersion": 2,
   "mediaType": "${MEDIA.dockerManifest}",
   "config": {
      "mediaType": "${MEDIA.dockerConfig}",
      "size": 10,
      "digest": "${d('a')}"
   },
   "layers": [
      {
         "mediaType": "${MEDIA.dockerLayerGzip}",
         "size": 20,
         "digest": "${d('b')}"
      }
   ]
}`);
  const round = parseManifest(bytes, MEDIA.dockerManifest);
  assert.equal(round.kind, 'image');
});
