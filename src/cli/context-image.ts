// docker's image formatter: one row per repository:tag (and digest), and the
// fields `images --format` sees.
import type { ImageSummary } from '../client/types.ts';
import { parseReference } from '../image/reference.ts';
import { truncateId } from './context-container.ts';
import { GO_TYPE } from './template.ts';
import { goTimeString } from './timeparse.ts';
import { humanSize, timeAgo } from './units.ts';

export const IMAGE_HEADERS: Record<string, string> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

export const DEFAULT_IMAGE_FORMAT = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
export const DIGEST_IMAGE_FORMAT = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';

export interface ImageRow {
  image: ImageSummary;
  repo: string;
  tag: string;
  digest: string;
}

function isDangling(img: ImageSummary): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>';
}

function group(refs: readonly string[], part: 'tag' | 'digest'): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of refs) {
    try {
      const ref = parseReference(r);
      const value = ref[part];
      if (value !== undefined) out.set(ref.repo, [...(out.get(ref.repo) ?? []), value]);
    } catch {
      // unparsable references are skipped, as docker does
    }
  }
  return out;
}

/** imageFormatTaggedAndDigest: digests show with their tags, or on rows of their own with --digests. */
export function imageRows(images: readonly ImageSummary[], showDigests: boolean, needDigest: boolean): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const image of images) {
    if (isDangling(image)) {
      rows.push({ image, repo: '<none>', tag: '<none>', digest: '<none>' });
      continue;
    }
    const tags = group(image.RepoTags ?? [], 'tag');
    const digests = group(image.RepoDigests ?? [], 'digest');
    for (const [repo, repoTags] of tags) {
      const repoDigests = needDigest ? (digests.get(repo) ?? []) : [];
      digests.delete(repo);
      for (const tag of repoTags) {
        if (repoDigests.length === 0) rows.push({ image, repo, tag, digest: '<none>' });
        for (const digest of repoDigests) rows.push({ image, repo, tag, digest });
      }
    }
    for (const [repo, repoDigests] of digests) {
      if (showDigests) for (const digest of repoDigests) rows.push({ image, repo, tag: '<none>', digest });
      else rows.push({ image, repo, tag: '<none>', digest: '' });
    }
  }
  return rows;
}

export function imageContext(row: ImageRow, trunc: boolean, now?: number): object {
  const i = row.image;
  const shared = i.SharedSize ?? -1;
  return {
    [GO_TYPE]: '*formatter.imageContext',
    ID: () => (trunc ? truncateId(i.Id) : i.Id),
    Repository: () => row.repo,
    Tag: () => row.tag,
    Digest: () => row.digest,
    CreatedSince: () => timeAgo(i.Created, now),
    CreatedAt: () => goTimeString(i.Created),
    Size: () => humanSize(i.Size, 3),
    Containers: () => (i.Containers === undefined || i.Containers === -1 ? 'N/A' : String(i.Containers)),
    VirtualSize: () => humanSize(i.Size),
    SharedSize: () => (shared === -1 ? 'N/A' : humanSize(shared)),
    UniqueSize: () => (i.Size === -1 || shared === -1 ? 'N/A' : humanSize(i.Size - shared)),
  };
}
