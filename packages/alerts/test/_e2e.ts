/**
 * Helpers of the end-to-end tests: temporary stores, summaries written the way a pipeline
 * writes them (acquire, then fenced saves), rules files on disk, and child processes (an
 * alerter to SIGKILL, a pipeline to SIGSTOP) speaking JSON lines.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Lease,
  ProcessSummary,
  type SummaryRef,
  type SummaryStore,
} from '@process-summary/core';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { type Child, startChild } from '@process-summary/test-kit';

const here = dirname(fileURLToPath(import.meta.url));
export const packageDir = join(here, '..');

/** A fresh directory under the OS temp dir, and its removal. */
export function tempDir(prefix = 'ps-alerts-e2e-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A file store over `root`, quiet. */
export function fileStore(root: string): FileSummaryStore {
  return new FileSummaryStore({ root, logger: silentLogger });
}

/** A summary this process owns, saved through the store as a pipeline saves it. */
export interface Owned {
  summary: ProcessSummary;
  lease: Lease;
  save(): Promise<void>;
  release(): Promise<void>;
}

/** Acquires `ref`, starts its summary and saves it once. */
export async function own(store: SummaryStore, ref: SummaryRef): Promise<Owned> {
  const { lease } = await store.acquire(ref);
  const summary = new ProcessSummary({
    runName: ref.runName,
    processName: ref.processName,
    ...(ref.worker === undefined || ref.worker === null ? {} : { worker: ref.worker }),
  });
  summary.startProcess();
  const owned: Owned = {
    summary,
    lease,
    save: async () => {
      await store.save(summary, lease);
    },
    release: () => store.release(lease),
  };
  await owned.save();
  return owned;
}

/** Writes `rules` as JSON into `dir` and returns its path. */
export function writeRules(dir: string, rules: unknown, name = 'rules.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(rules, null, 2));
  return path;
}

const tsx = ['--conditions=@process-summary/source', '--import', 'tsx'];

/**
 * A child running `createAlerter` over the store `storeSpec` names (a directory, or a
 * `postgres://` URL with `#schema`), with the rules of `rulesPath`. It says
 * `{"event":"started"}` once its first evaluation is done, then runs until killed.
 */
export function startAlerterChild(storeSpec: string, rulesPath: string, stateKey: string): Child {
  return startChild([
    process.execPath,
    ...tsx,
    join(here, 'fixtures', 'alerter.ts'),
    storeSpec,
    rulesPath,
    stateKey,
  ]);
}

/**
 * A pipeline child over the file store at `root`: acquires (run, process), then processes an
 * item and saves every `everyMs`, saying `{"event":"saved","items":N}` each time.
 */
export function startPipelineChild(
  root: string,
  runName: string,
  processName: string,
  everyMs: number,
): Child {
  return startChild([
    process.execPath,
    ...tsx,
    join(here, 'fixtures', 'pipeline.ts'),
    root,
    runName,
    processName,
    String(everyMs),
  ]);
}

/** Kills `child` (SIGKILL, after a SIGCONT should it be stopped) and waits for it. */
export async function killChild(child: Child): Promise<void> {
  if (child.child.exitCode !== null || child.child.signalCode !== null) return;
  child.child.kill('SIGCONT');
  child.child.kill('SIGKILL');
  await child.exited;
}

/** Sleeps `ms`: only to let real time pass for a real process, never to time an assertion. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
