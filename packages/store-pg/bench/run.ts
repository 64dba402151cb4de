// Runs this package's benchmarks (or those named on the command line); `pnpm bench --write` at
// the root then writes docs/benchmarks.md from their reports. BENCH_RUNS=2 runs each comparison
// twice instead of five times, for a quick look. A PostgreSQL server comes from
// test-kit's testPostgres(): PROCESS_SUMMARY_TEST_PG, or an embedded one started for the run.
// BENCH_QUICK=1 runs every case shorter (see _setup.ts).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBenchFolder } from '@process-summary/bench-kit';

await runBenchFolder(dirname(fileURLToPath(import.meta.url)), process.argv.slice(2));
// The embedded server's keeper stops it once this process is gone; pools created with
// allowExitOnIdle would let it go, but a bench must not hang on a handle a library left open.
process.exit(0);
