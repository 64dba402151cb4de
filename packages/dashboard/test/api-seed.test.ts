/**
 * Summaries written by the Python original (the seed fixtures: perf_counter times, no schema
 * version) through the API: rows and details as inspect reads them, times marked relative,
 * never exported to Prometheus as dates.
 */
import { spawnSync } from 'node:child_process';
import { listRows, readDetail } from '@process-summary/inspect';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunResponse, RunsResponse, TimelineResponse } from '../src/api.js';
import { readTimeline } from '../src/timeline.js';
import { copySeedFixtures, fileStore, raw, startServer, wire } from './_server.js';

test('seed-format runs: rows, details and timelines as inspect reads them, times relative; metrics without dates', async () => {
  const t = await fileStore();
  copySeedFixtures(t.root as string);
  const running = await startServer(t.store);
  try {
    const runs = (await raw(running.origin, '/api/runs')).json() as RunsResponse;
    const expected = await listRows(t.store, {
      now: runs.now,
      staleAfterSeconds: 300,
      mergeWorkers: true,
    });
    assert.equal(runs.rows, wire(expected.rows));
    assert.equal(
      runs.rows.map((r) => [r.run_name, r.process_name, r.seed_format, r.time_base]),
      [
        ['harvard_2024', 'collect', true, 'relative'],
        ['harvard_2024', 'sync', true, 'relative'],
      ],
    );
    for (const processName of ['collect', 'sync']) {
      const ref = { runName: 'harvard_2024', processName };
      const run = (
        await raw(running.origin, `/api/runs/harvard_2024/${processName}`)
      ).json() as RunResponse;
      assert.equal(
        run.detail,
        wire((await readDetail(t.store, ref, { now: run.now, staleAfterSeconds: 300 })).detail),
      );
      const timeline = (
        await raw(running.origin, `/api/runs/harvard_2024/${processName}/timeline`)
      ).json() as TimelineResponse;
      assert.equal(
        timeline,
        wire(await readTimeline(t.store, ref, { now: timeline.now, staleAfterSeconds: 300 })),
      );
      assert.is(timeline.time_base, 'relative');
    }
    const metrics = await raw(running.origin, '/metrics');
    assert.match(
      metrics.text,
      'pipeline_items_processed_total{run="harvard_2024",process="collect"}',
    );
    assert.not.match(metrics.text, /pipeline_(start|end)_time_seconds\{run="harvard_2024"/);
    const lint = spawnSync('promtool', ['check', 'metrics'], {
      input: metrics.text,
      encoding: 'utf8',
    });
    assert.is(lint.status, 0, `${lint.stdout}${lint.stderr}`);
    assert.is(`${lint.stdout}${lint.stderr}`.trim(), '');
  } finally {
    await running.close();
    await t.cleanup();
  }
});

test.run();
