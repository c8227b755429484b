// The build args a Dockerfile gets without declaring them.

/**
 * Proxy settings may be passed with --build-arg without an ARG: the builder
 * gives them to RUN steps but keeps them out of the image's history and
 * config, so a proxy never ends up in a pushed image.
 */
export const PROXY_ARGS: readonly string[] = [
  'HTTP_PROXY', 'http_proxy',
  'HTTPS_PROXY', 'https_proxy',
  'FTP_PROXY', 'ftp_proxy',
  'NO_PROXY', 'no_proxy',
  'ALL_PROXY', 'all_proxy',
];

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** berth builds for the host, and the host is linux/amd64 (ARCHITECTURE.md). */
export const LINUX_AMD64: Platform = { os: 'linux', architecture: 'amd64' };

/**
 * Whether an image of platform `actual` is one of `want` (containerd's
 * platforms.Only, as docker's GetImage judges a local image for FROM
 * --platform): the same OS and architecture, and the variant when one is
 * wanted, arm64's v8 counting as none. Both are normalized already.
 */
export function platformMatches(want: Platform, actual: Platform): boolean {
  const variant = (p: Platform): string => (p.architecture === 'arm64' && p.variant === 'v8' ? '' : (p.variant ?? ''));
  return want.os === actual.os && want.architecture === actual.architecture && (variant(want) === '' || variant(want) === variant(actual));
}

/** containerd's platforms.Format: os/arch[/variant]. */
export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/**
 * BuildKit's automatic platform args. They are in scope for FROM lines
 * without an ARG; inside a stage they need `ARG TARGETARCH` (no default) to
 * be visible. A --build-arg of the same name overrides the computed value.
 */
export function platformArgs(
  target: Platform = LINUX_AMD64,
  build: Platform = LINUX_AMD64,
  overrides: ReadonlyMap<string, string> = new Map(),
): Map<string, string> {
  const args = new Map<string, string>([
    ['BUILDPLATFORM', formatPlatform(build)],
    ['BUILDOS', build.os],
    ['BUILDARCH', build.architecture],
    ['BUILDVARIANT', build.variant ?? ''],
    ['TARGETPLATFORM', formatPlatform(target)],
    ['TARGETOS', target.os],
    ['TARGETARCH', target.architecture],
    ['TARGETVARIANT', target.variant ?? ''],
  ]);
  for (const key of args.keys()) {
    const value = overrides.get(key);
    if (value !== undefined) args.set(key, value);
  }
  return args;
}
