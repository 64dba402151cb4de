// Runs this package's benchmarks (or those named on the command line); `pnpm bench --write` at
// the root then writes docs/benchmarks.md from their reports. BENCH_RUNS=2 runs each comparison
// twice instead of five times, for a quick look.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBenchFolder } from '@process-summary/bench-kit';

await runBenchFolder(dirname(fileURLToPath(import.meta.url)), process.argv.slice(2));
