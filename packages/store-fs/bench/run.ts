// Runs this package's benchmarks (or those named on the command line); `pnpm bench --write` at
// the root then writes docs/benchmarks.md from their reports. BENCH_RUNS=2 runs each comparison
// twice instead of five times, for a quick look.
//
// They import the built package (`@process-summary/store-fs`, its dist), as users run it, not
// its sources through tsx: tsx names every function it creates (esbuild's keepNames, an
// Object.defineProperty per closure), which cost 1,000 saves issued at once ~0.9 ms more
// than the closures themselves, as much as a whole write.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBenchFolder } from '@process-summary/bench-kit';

await runBenchFolder(dirname(fileURLToPath(import.meta.url)), process.argv.slice(2));
