/**
 * Review: the overview applies a stream `row` event only when its `last_update_time` is not
 * older than the row it shows (web/table.ts applyChanges). That time is the writer's own clock
 * (`generated_at`), not the server's: after the writer's clock is stepped back (NTP, a VM
 * restored), or when a run is replaced (`fresh`) by a process on a host whose clock is behind,
 * every later save is dropped by the live overview until the page happens to re-fetch. The
 * hub sends a (run, process)'s rows in the order it read them, so the order to trust is the
 * stream's, not the writer's clock.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SummaryRow } from '../src/api.js';
import { applyChanges } from '../web/table.js';

function row(fields: Partial<SummaryRow>): SummaryRow {
  return {
    run_name: 'nightly',
    process_name: 'collect',
    worker: null,
    location: 'nightly/collect',
    status: 'running',
    file_status: 'running',
    status_reason: null,
    time_base: 'epoch',
    seed_format: false,
    items_processed: 0,
    items_successful: 0,
    items_failed: 0,
    items_retried: 0,
    items_total: null,
    bytes_processed: 0,
    success_rate_percent: 0,
    error_rate_percent: 0,
    processing_rate_per_second: 0,
    current_rate_per_second: null,
    rate_per_second: 0,
    error_count: 0,
    error_types: {},
    interruption_count: 0,
    start_time: 1_796_000_000,
    end_time: null,
    duration_seconds: null,
    active_seconds: null,
    last_checkpoint_time: null,
    last_update_time: 1_796_000_100,
    silent_seconds: 0,
    eta_seconds: null,
    owner: null,
    worker_count: 0,
    workers: [],
    ...fields,
  };
}

test('a save made after the writer clock was stepped back still updates the live overview', () => {
  // Shown: a save at 12:00:00 by the writer's (fast) clock.
  const shown = row({ items_processed: 100, last_update_time: 1_796_000_100 });
  // NTP steps the writer's clock back 10 minutes; the next save is really later.
  const next = row({ items_processed: 5000, last_update_time: 1_796_000_100 - 600 + 1 });
  const [applied] = applyChanges([shown], [{ kind: 'row', row: next }]);
  assert.is(applied?.items_processed, 5000, 'the stream event of a newer save was dropped');
});

test('a run replaced by `fresh` on a host whose clock is behind shows the new run live', () => {
  const old = row({
    status: 'completed',
    file_status: 'completed',
    items_processed: 9000,
    last_update_time: 1_796_000_100,
  });
  const fresh = row({
    items_processed: 3,
    start_time: 1_796_000_000,
    last_update_time: 1_796_000_050,
  });
  const [applied] = applyChanges([old], [{ kind: 'row', row: fresh }]);
  assert.is(applied?.status, 'running', 'the overview keeps showing the replaced run');
  assert.is(applied?.items_processed, 3);
});

test.run();
