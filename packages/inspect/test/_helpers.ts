import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createManualClock,
  type ManualClock,
  type OwnerStatus,
  ProcessSummary,
  type ReadResult,
  type ValidatedDict,
} from '@process-summary/core';
import * as assert from 'uvu/assert';
import { type SummaryRow, summaryRow } from '../src/rows.js';
import { judgeStatus } from '../src/status.js';

export const T0 = 1_750_000_000;

/** A summary on a manual clock, started. */
export function started(
  options: { runName?: string; processName?: string; worker?: string } = {},
): { summary: ProcessSummary; clock: ManualClock } {
  const clock = createManualClock(T0);
  const summary = new ProcessSummary({
    runName: options.runName ?? 'harvard_2024',
    processName: options.processName ?? 'collect',
    ...(options.worker === undefined ? {} : { worker: options.worker }),
    clock,
  });
  summary.startProcess();
  return { summary, clock };
}

/** What a store's `read` would return for `dict`, as a real store fills it in. */
export function readOf(
  dict: Record<string, unknown>,
  overrides: Partial<ReadResult> = {},
): ReadResult {
  return {
    ref: {
      runName: String(dict.run_name),
      processName: String(dict.process_name),
      worker: typeof dict.worker === 'string' ? dict.worker : null,
    },
    location: `mem:${String(dict.run_name)}/${String(dict.process_name)}`,
    dict: dict as unknown as ValidatedDict,
    problem: null,
    seedFormat: dict.schema_version === undefined,
    writtenAt: null,
    epoch: null,
    hasHistory: false,
    sizeBytes: null,
    ...overrides,
  };
}

/** The dict of a summary, as JSON round-trips it. */
export function dictOf(summary: ProcessSummary): Record<string, unknown> {
  return JSON.parse(JSON.stringify(summary.getSummaryDict()));
}

export function ownerStatus(state: OwnerStatus['state'], reason = `owner ${state}`): OwnerStatus {
  return {
    state,
    reason,
    owner:
      state === 'none' ? null : { host: 'host-a', pid: 4242, epoch: 1, since: T0, heartbeat: T0 },
    gone: state === 'dead' ? 'crash' : null,
  };
}

const fixtures = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../fixtures/seed-format/runs/harvard_2024',
);

/** A file written by the Python original, parsed. */
export function seedFixture(processName: 'collect' | 'sync'): Record<string, unknown> {
  return JSON.parse(readFileSync(join(fixtures, `process_summary_${processName}.json`), 'utf8'));
}

/** Asserts `fn` throws an error carrying `code`. */
export function throwsCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    assert.is((err as { code?: unknown }).code, code, `expected code ${code}, got ${String(err)}`);
    return;
  }
  assert.unreachable(`expected a throw with ${code}`);
}

/** Calls a store received, by method, to assert what a listing costs. */
export function counting<T extends object>(
  store: T,
): { store: T; calls: Map<string, unknown[][]> } {
  const calls = new Map<string, unknown[][]>();
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      return (...args: unknown[]) => {
        const list = calls.get(key) ?? [];
        list.push(args);
        calls.set(key, list);
        return value.apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

/** The row of a summary judged with `owner` (none when omitted), now = its last save. */
export function rowOf(
  summary: ProcessSummary,
  owner: OwnerStatus['state'] | null = null,
  reason?: string,
): SummaryRow {
  const read = readOf(dictOf(summary));
  const status = owner === null ? null : ownerStatus(owner, reason);
  const now = Date.parse(String(read.dict?.generated_at)) / 1000;
  return summaryRow(read, judgeStatus(read, status, { now }));
}

/** `inner` without the optional capabilities named (what listRows does for a store without them). */
export function without<T extends object>(inner: T, hidden: readonly string[]): T {
  return new Proxy(inner, {
    get(target, key) {
      if (typeof key === 'string' && hidden.includes(key)) return undefined;
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
