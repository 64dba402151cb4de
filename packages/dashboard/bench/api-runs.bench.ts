/**
 * `GET /api/runs` over 10,000 summaries against `summary-inspect list --json` over the same
 * root: target <= 1.2x.
 *
 * What is compared, and why: a user (or a script) who wants the JSON of every row has two ways
 * to get it, and what they feel is the time from asking to holding the last byte. So both are
 * timed from the client's side, start to end: the HTTP request to a dashboard that is already
 * running (in a process of its own, as `summary-inspect serve` runs it) until the whole body has
 * arrived, and the `list --json` process from spawn until its stdout has closed. The server is
 * warm (it loaded its modules once, and may keep what its live hub knows); the CLI pays its
 * start-up every time. That is the real difference between the two, and it is counted. To keep
 * the ratio from hiding a slow server behind the CLI's start-up, the report also gives the
 * in-process floor both share (inspect's `listRows` + JSON of the rows, no HTTP, no process),
 * and `/api/runs` against that floor.
 *
 * Every row is measured over the kit's runs (5, or `BENCH_RUNS`), contenders in blocks whose
 * order alternates from run to run; a ratio is reported with its spread over the runs, and the
 * target is met only if every run met it.
 *
 * Both answers are checked to hold the same rows before anything is timed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  blackhole,
  compareAsync,
  type Row,
  ratioRow,
  runOrder,
  runsFor,
  statsFromRuns,
  writeReport,
} from '@process-summary/bench-kit';
import { listRows, safeJsonStringify } from '@process-summary/inspect';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { cliBinary, quick, startServer, writeSummaries } from './_setup.ts';

const SUMMARIES = 10_000;

/** Runs a process to its end; resolves its stdout. */
function runProcess(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(chunks).toString('utf8'))
        : reject(new Error(`exit ${code}`)),
    );
  });
}

async function get(url: string): Promise<string> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`${url}: ${response.status}`);
  return response.text();
}

type Key = [string, string, number, string];
const keyOf = (r: {
  run_name: string;
  process_name: string;
  items_processed: number;
  status: string;
}): Key => [r.run_name, r.process_name, r.items_processed, r.status];

export async function run(): Promise<void> {
  const binary = cliBinary();
  const root = mkdtempSync(join(tmpdir(), 'ps-dash-bench-api-'));
  writeSummaries(root, SUMMARIES);
  const server = await startServer(root);
  try {
    const api = `${server.url}api/runs`;
    const cliArgs = [binary, 'list', '--json', '--root', root];

    // The same rows, or the comparison means nothing.
    const fromApi = JSON.parse(await get(api)) as { rows: Parameters<typeof keyOf>[0][] };
    const fromCli = JSON.parse(await runProcess(process.execPath, cliArgs)) as {
      summaries: Parameters<typeof keyOf>[0][];
    };
    if (fromApi.rows.length !== SUMMARIES) {
      throw new Error(`/api/runs answered ${fromApi.rows.length} rows, not ${SUMMARIES}`);
    }
    if (JSON.stringify(fromApi.rows.map(keyOf)) !== JSON.stringify(fromCli.summaries.map(keyOf))) {
      throw new Error('/api/runs and list --json do not hold the same rows');
    }

    const n = SUMMARIES.toLocaleString('en-US');
    const versus = await compareAsync({
      name: `/api/runs, ${n} summaries (HTTP request to a running server, until the last byte)`,
      candidate: () => get(api),
      baselines: {
        'summary-inspect list --json (spawned, until stdout closes)': () =>
          runProcess(process.execPath, cliArgs),
      },
      rounds: quick ? 3 : 11,
      targets: { 'summary-inspect list --json (spawned, until stdout closes)': 1.2 },
    });

    // The floor both stand on, in this process: what the rows cost before any transport. Over
    // the kit's runs, each contender in a block of its own, the blocks' order reversed from run
    // to run, so run i of the floor and of /api/runs ran side by side and the ratio row pairs
    // them run by run.
    const store = new FileSummaryStore({ root, logger: silentLogger });
    const timeNs = async (op: () => Promise<unknown>): Promise<number> => {
      const start = process.hrtime.bigint();
      blackhole(await op());
      return Number(process.hrtime.bigint() - start);
    };
    const contenders = [
      {
        key: 'floor' as const,
        op: async () => {
          const result = await listRows(store, { now: Date.now() / 1000, full: false });
          return safeJsonStringify({ rows: result.rows });
        },
      },
      { key: 'api' as const, op: () => get(api) },
    ];
    const runs = runsFor(undefined);
    const perRun = quick ? 2 : 3;
    const taken = { floor: [] as number[][], api: [] as number[][] };
    for (let r = 0; r < runs; r++) {
      for (const { key, op } of runOrder(contenders, r)) {
        // The first call of a block warms the store's caches and the JIT after the other's.
        await timeNs(op);
        const samples: number[] = [];
        for (let i = 0; i < perRun; i++) samples.push(await timeNs(op));
        taken[key].push(samples);
      }
    }
    const floor: Row = {
      name: `listRows + JSON of the rows, in process (the floor), ${n} summaries`,
      candidate: statsFromRuns(taken.floor),
    };
    const apiAgain: Row = {
      name: `/api/runs, ${n} summaries, measured beside the floor`,
      candidate: statsFromRuns(taken.api),
    };
    writeReport({
      topic: 'api-runs',
      package: '@process-summary/dashboard',
      rows: [
        ...versus,
        floor,
        apiAgain,
        ratioRow(`/api/runs over HTTP vs its in-process floor, ${n} summaries`, apiAgain, floor),
      ],
    });
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
}
