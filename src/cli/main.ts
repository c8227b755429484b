// berth: the docker-compatible command line. This file only finds the
// command; everything else loads on demand.
import module from 'node:module';

// Caches compiled sources between runs: short commands are dominated by start-up.
module.enableCompileCache?.();

// A reader that went away (berth events | head) ends us quietly, as SIGPIPE ends docker.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(141);
  });
}

const { cli } = await import('./cli.ts');
process.exit(await cli(process.argv.slice(2)));
