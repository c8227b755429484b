// docker/go-units: the size and duration wording docker prints ("4.27MB",
// "About a minute") and the size syntax its flags accept ("512m").
import { formatFloat } from './gofmt.ts';
import { humanDuration } from '../util/human.ts';

export { humanDuration };
export { ramInBytes } from '../util/units.ts';

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function scale(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]!];
}

/** units.HumanSizeWithPrecision: decimal units, `precision` significant digits (%.*g). */
export function humanSize(size: number, precision = 4): string {
  const [n, unit] = scale(size, 1000, DECIMAL);
  return formatFloat(n, 'g', precision) + unit;
}

/** units.BytesSize: binary units, %.4g. */
export function bytesSize(size: number): string {
  const [n, unit] = scale(size, 1024, BINARY);
  return formatFloat(n, 'g', 4) + unit;
}


/** "<duration> ago" for a unix timestamp in seconds, as docker's CREATED columns show it. */
export function timeAgo(unixSeconds: number, now = Date.now()): string {
  return humanDuration(now - unixSeconds * 1000) + ' ago';
}

