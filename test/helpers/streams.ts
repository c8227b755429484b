/** Collects a stream (Node's or tar-stream's streamx) into one buffer. */
export function collect(stream: { on(event: string, fn: (arg?: unknown) => void): unknown }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c) => chunks.push(c as Buffer));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', (e) => reject(e as Error));
  });
}
