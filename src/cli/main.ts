// berth: the docker-compatible command line. This file only finds the
// command; everything else loads on demand.
import module from 'node:module';

// Caches compiled sources between runs: short commands are dominated by start-up.
module.enableCompileCache?.();

const { cli } = await import('./cli.ts');
process.exit(await cli(process.argv.slice(2)));
