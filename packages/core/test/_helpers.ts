import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { createManualClock, type ManualClock, ProcessSummary } from '../src/index.js';

export const T0 = 1_750_000_000;

export function fresh(overrides: Partial<ConstructorParameters<typeof ProcessSummary>[0]> = {}): {
  summary: ProcessSummary;
  clock: ManualClock;
} {
  const clock = createManualClock(T0);
  const summary = new ProcessSummary({
    runName: 'harvard_2024',
    processName: 'collect',
    clock,
    ...overrides,
  });
  return { summary, clock };
}

/** Asserts `fn` throws an error of class `kind` carrying `code`. */
export function throwsCode(fn: () => unknown, code: string, kind?: ErrorConstructor): void {
  try {
    fn();
  } catch (err) {
    assert.is((err as { code?: unknown }).code, code, `expected code ${code}, got ${String(err)}`);
    if (kind) assert.instance(err, kind);
    return;
  }
  assert.unreachable(`expected a throw with ${code}`);
}

const fixtures = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../fixtures/seed-format/runs/harvard_2024',
);

/** A file written by the Python original, parsed. */
export function seedFixture(processName: 'collect' | 'sync'): Record<string, unknown> {
  return JSON.parse(readFileSync(join(fixtures, `process_summary_${processName}.json`), 'utf8'));
}

/** Every key of the seed's summary dictionary, in the seed's order. */
export const SEED_KEYS = [
  'process_name',
  'run_name',
  'session_id',
  'start_time',
  'end_time',
  'duration_seconds',
  'is_completed',
  'items_processed',
  'items_successful',
  'items_failed',
  'items_retried',
  'bytes_processed',
  'success_rate_percent',
  'processing_rate_per_second',
  'error_count',
  'error_types',
  'last_error_message',
  'last_error_time',
  'interruption_count',
  'progress_updates_count',
  'progress_updates',
  'custom_metrics',
  'generated_at',
];
