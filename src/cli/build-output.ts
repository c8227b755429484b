// berth build -o: the built image's files, out of the daemon through a
// container that is created (never started) for the purpose, exported and
// removed. A tar goes to a file or stdout as it comes; a local directory
// gets it through the layer writer in plain-archive mode, as `berth cp`
// extracts, so no entry can land outside the directory.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { createContainer, exportContainer, removeContainer } from '../client/containers.ts';
import type { Client } from '../client/client.ts';
import { applyLayer } from '../storage/layer-apply.ts';
import type { BuildOutput } from './build-options.ts';

/** Writes image `imageId`'s filesystem where `output` says; `stdout` takes a tar to "-". */
export async function exportImage(client: Client, imageId: string, output: BuildOutput, stdout: Writable): Promise<void> {
  // A command of its own, so that an image without CMD or ENTRYPOINT can be created too; it never runs.
  const { Id } = await createContainer(client, { Image: imageId, Cmd: ['/berth-build-output'], HostConfig: { NetworkMode: 'none' } });
  try {
    const content = await exportContainer(client, Id);
    if (output.type === 'tar') {
      if (output.dest === '-') await pipeline(content, stdout, { end: false });
      else await pipeline(content, createWriteStream(output.dest));
      return;
    }
    await mkdir(output.dest, { recursive: true });
    // Owners as in the image when root writes them, else the caller's, as tar -x does.
    await applyLayer(output.dest, content, { whiteouts: 'none', owner: process.getuid?.() === 0 ? undefined : false });
  } finally {
    // Anonymous volumes the image's VOLUMEs made go with it.
    await removeContainer(client, Id, { force: true, volumes: true });
  }
}
