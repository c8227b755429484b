// Writes the busybox root filesystem tarball to stdout (for `docker import`).
import { busyboxTar } from '../test/helpers/busybox.ts';
process.stdout.write(await busyboxTar());
