import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canKeepState,
  type Lease,
  ProcessSummary,
  type SummaryRef,
  type SummaryStore,
} from '@process-summary/core';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { binary } from './_helpers.ts';

/** A long-running `summary-inspect` (alert, serve --rules): its output, and ways to wait on it. */
export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches `pattern`; rejects when the process ends first or after 30 s. */
  stdoutMatching(pattern: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the real binary with `args` (no store from the environment). */
export function start(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [binary, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NO_COLOR: '',
      PROCESS_SUMMARY_ROOT: '',
      PROCESS_SUMMARY_STORE: '',
      ...env,
    },
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  let ended = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      ended = true;
      resolve({ code, signal });
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stdoutMatching(pattern) {
      for (let waited = 0; !pattern.test(out); waited += 20) {
        if (ended) throw new Error(`ended before ${pattern}\nstdout: ${out}\nstderr: ${err}`);
        if (waited > 30_000) throw new Error(`stdout never matched ${pattern}: ${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return out;
    },
    stop(signal = 'SIGINT') {
      if (!ended) child.kill(signal);
      return exited;
    },
  };
}

/** A fresh directory under the OS temp dir. */
export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ps-cli-alert-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `rules` as JSON into `dir/name`; its path. */
export function writeRules(dir: string, rules: unknown, name = 'rules.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(rules, null, 2));
  return path;
}

/** A running summary this process owns in `store` (a file store at a root, by default), saved as a pipeline saves. */
export async function own(
  where: string | SummaryStore,
  ref: SummaryRef,
): Promise<{ summary: ProcessSummary; save(): Promise<void>; release(): Promise<void> }> {
  const store =
    typeof where === 'string' ? new FileSummaryStore({ root: where, logger: silentLogger }) : where;
  const { lease }: { lease: Lease } = await store.acquire(ref);
  const summary = new ProcessSummary({ runName: ref.runName, processName: ref.processName });
  summary.startProcess();
  await store.save(summary, lease);
  return {
    summary,
    save: async () => {
      await store.save(summary, lease);
    },
    release: () => store.release(lease),
  };
}

/** The rules the CLI tests use: error rate above 5% of harvard_*\/collect, one webhook. */
export function errorRateRules(hookUrl: string): unknown {
  return {
    settings: { evaluate_every: '1s' },
    rules: [
      {
        name: 'too-many-errors',
        match: { run: 'harvard_*', process: 'collect' },
        when: { error_rate_percent: { above: 5 } },
        severity: 'critical',
        annotations: { summary: '{{run}}/{{process}}: {{error_rate_percent}}% errors' },
      },
    ],
    notifiers: [{ type: 'webhook', url: hookUrl, max_attempts: 2, timeout: '2s' }],
  };
}

/**
 * Waits until the alert state the alerter keeps in `store` records a firing as delivered
 * (nothing left in `pending_delivery`): a kill before that re-sends it (at least once, by
 * design), a kill after it must not.
 */
export async function deliveryRecorded(store: SummaryStore, key = 'alerts/default'): Promise<void> {
  if (!canKeepState(store)) throw new Error('the store keeps no state');
  for (let waited = 0; waited < 20_000; waited += 50) {
    const doc = await store.readState(key);
    const text = doc === null ? '' : JSON.stringify(doc.value);
    if (/"state":"firing"/.test(text) && !/"pending_delivery":\[\{/.test(text)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the alert state never recorded the firing as delivered');
}

/** The `status` of a received webhook notification. */
export const statusOf = (json: unknown) => (json as { status?: unknown } | undefined)?.status;
