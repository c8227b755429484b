// Manifests as registries serve them: Docker v2 schema 2 and OCI image
// manifests, and the lists/indexes that point at one manifest per platform.
// Everything here is pure: reading and checking documents, choosing the
// platform, writing the manifest a push sends.
import { isDigest } from '../image/content-store.ts';
import { MEDIA, type Descriptor } from '../image/types.ts';
import { RegistryError } from './errors.ts';

/** What a pull asks for (schema 1 is not among them: docker has dropped it too). */
export const MANIFEST_ACCEPT = [MEDIA.dockerManifest, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.ociIndex].join(', ');

/** Larger documents are refused before they are read (containerd's and moby's limit). */
export const MANIFEST_LIMIT = 4 << 20;

const IMAGE_CONFIGS: string[] = [MEDIA.dockerConfig, MEDIA.ociConfig];
const LAYERS: string[] = [
  MEDIA.dockerLayer, MEDIA.dockerLayerGzip, MEDIA.ociLayer, MEDIA.ociLayerGzip,
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
];

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; manifests: Descriptor[] }
  | { kind: 'image'; mediaType: string; config: Descriptor; layers: Descriptor[] };

/** The platform a pull chooses by default: the host's (berth runs linux/amd64). */
export const HOST_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/** A document berth cannot use: malformed, or of a kind it does not pull. */
export class ManifestError extends RegistryError {
  constructor(message: string) {
    super(message, 0);
  }
}

/** "linux/amd64", "linux/arm64/v8", "amd64" (os defaults to linux). */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.some((p) => !p) || parts.length > 3) throw new ManifestError(`invalid platform: ${JSON.stringify(text)}`);
  if (parts.length === 1) return { os: 'linux', architecture: normalizeArch(parts[0]!) };
  const [os, arch, variant] = parts as [string, string, string | undefined];
  return { os, architecture: normalizeArch(arch), ...(variant ? { variant } : {}) };
}

function normalizeArch(arch: string): string {
  return ({ x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm' } as Record<string, string>)[arch] ?? arch;
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** A descriptor berth can fetch and verify: a sha256 digest and a whole, non-negative size. */
export function checkDescriptor(d: unknown, what: string): Descriptor {
  const desc = d as Descriptor;
  if (!desc || typeof desc !== 'object' || typeof desc.digest !== 'string') throw new ManifestError(`invalid ${what} descriptor`);
  if (!isDigest(desc.digest)) {
    throw new ManifestError(/^[a-z0-9]+:/.test(desc.digest) && !desc.digest.startsWith('sha256:') ? `unsupported digest algorithm: ${desc.digest}` : `invalid ${what} digest: ${desc.digest}`);
  }
  if (!Number.isSafeInteger(desc.size) || desc.size < 0) throw new ManifestError(`invalid ${what} size for ${desc.digest}`);
  return desc;
}

/** Reads a manifest or an index; `contentType` is what the registry said it is. */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: { schemaVersion?: unknown; mediaType?: unknown; manifests?: unknown; config?: unknown; layers?: unknown };
  try {
    doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
  } catch {
    throw new ManifestError('invalid manifest: not JSON');
  }
  if (!doc || typeof doc !== 'object') throw new ManifestError('invalid manifest: not an object');
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : '';
  const served = (contentType ?? '').split(';')[0]!.trim();
  if (doc.schemaVersion === 1 || /^application\/vnd\.docker\.distribution\.manifest\.v1\+(prettyjws|json)$/.test(served)) {
    throw new ManifestError('Docker Image manifest version 2, schema 1 is not supported: the image must be pushed again as Docker v2 schema 2 or OCI');
  }
  if (doc.schemaVersion !== 2) throw new ManifestError('invalid manifest: schemaVersion is not 2');
  const mediaType = declared || ([MEDIA.dockerManifest, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.ociIndex] as string[]).find((m) => m === served) || '';
  const isIndex = mediaType === MEDIA.dockerList || mediaType === MEDIA.ociIndex || (!mediaType && Array.isArray(doc.manifests));
  if (isIndex) {
    if (!Array.isArray(doc.manifests)) throw new ManifestError('invalid manifest list: no manifests');
    return { kind: 'index', mediaType: mediaType || MEDIA.ociIndex, manifests: doc.manifests.map((m) => checkDescriptor(m, 'manifest')) };
  }
  if (mediaType && mediaType !== MEDIA.dockerManifest && mediaType !== MEDIA.ociManifest) throw new ManifestError(`unsupported manifest media type ${mediaType}`);
  if (!Array.isArray(doc.layers)) throw new ManifestError('invalid manifest: no layers');
  const config = checkDescriptor(doc.config, 'config');
  if (config.mediaType && !IMAGE_CONFIGS.includes(config.mediaType)) {
    throw new ManifestError(`unsupported media type ${config.mediaType}: not a container image`);
  }
  const layers = doc.layers.map((l) => checkDescriptor(l, 'layer'));
  for (const l of layers) if (!LAYERS.includes(l.mediaType)) throw new ManifestError(`unsupported layer media type ${l.mediaType}`);
  return { kind: 'image', mediaType: mediaType || MEDIA.ociManifest, config, layers };
}

/**
 * The index entry for `want` (containerd's platforms.Only, simplified): os
 * and architecture must match; a wanted variant must match too (arm64's
 * default v8 counting as none), otherwise an entry without a variant wins.
 */
export function selectManifest(manifests: Descriptor[], want: Platform): Descriptor {
  const variantOf = (p: { architecture: string; variant?: string }): string => (p.architecture === 'arm64' && p.variant === 'v8' ? '' : (p.variant ?? ''));
  const candidates = manifests.filter((m) => m.platform && m.platform.os === want.os && normalizeArch(m.platform.architecture) === want.architecture);
  const wanted = variantOf(want);
  const pick = wanted
    ? candidates.find((m) => variantOf(m.platform!) === wanted)
    : (candidates.find((m) => !variantOf(m.platform!)) ?? candidates[0]);
  if (!pick) throw new ManifestError(`no matching manifest for ${formatPlatform(want)} in the manifest list entries`);
  return pick;
}

/** The Docker v2 schema 2 manifest a push sends, indented as moby writes it. */
export function dockerManifest(config: Descriptor, layers: Descriptor[]): Buffer {
  const desc = (d: Descriptor): object => ({ mediaType: d.mediaType, size: d.size, digest: d.digest });
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.dockerManifest, config: desc(config), layers: layers.map(desc) }, null, 3));
}
