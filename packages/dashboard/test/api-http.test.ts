/**
 * The JSON API and /metrics over real HTTP, against what inspect computes directly from the
 * same store: one suite, run over a file store and over PostgreSQL.
 */
import { spawnSync } from 'node:child_process';
import { type Lease, refName, type SummaryRef } from '@process-summary/core';
import {
  type DetailView,
  listRows,
  prometheusFormatter,
  readDetail,
} from '@process-summary/inspect';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { EventsResponse, RunResponse, RunsResponse, TimelineResponse } from '../src/api.js';
import { readTimeline } from '../src/timeline.js';
import {
  HOSTILE,
  LIVE,
  NIGHTLY,
  type Running,
  raw,
  SHARD,
  STORE_KINDS,
  startServer,
  type TestStore,
  wire,
  writeRuns,
} from './_server.js';

const STALE = 300;

function path(ref: SummaryRef, suffix = '', query = ''): string {
  const base = `/api/runs/${encodeURIComponent(ref.runName)}/${encodeURIComponent(ref.processName)}${suffix}`;
  const worker = ref.worker == null ? '' : `worker=${encodeURIComponent(ref.worker)}`;
  const q = [worker, query].filter((p) => p !== '').join('&');
  return q === '' ? base : `${base}?${q}`;
}

/** `promtool check metrics` on `text`: exit code and what it printed (warnings included). */
function promtool(text: string): { code: number | null; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error !== undefined) {
    throw new Error(
      `promtool could not run (install Debian's "prometheus"): ${result.error.message}`,
    );
  }
  return { code: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

for (const kind of STORE_KINDS) {
  interface Ctx {
    t: TestStore;
    running: Running;
    held: Lease[];
  }
  const test = suite<Ctx>(`HTTP API over a ${kind.name} store`);
  test.before.each(async (ctx) => {
    ctx.t = await kind.open();
    ctx.held = (await writeRuns(ctx.t.store)).held;
    ctx.running = await startServer(ctx.t.store, {
      staleAfterSeconds: STALE,
      storeLabel: `the ${kind.name} store`,
    });
  });
  test.after.each(async (ctx) => {
    await ctx.running.close();
    for (const lease of ctx.held) await ctx.t.store.release(lease);
    await ctx.t.cleanup();
  });

  test('/api/runs answers the rows inspect lists (workers merged), judged at the time it says', async ({
    t,
    running,
  }) => {
    const answer = await raw(running.origin, '/api/runs');
    assert.is(answer.status, 200);
    assert.is(answer.headers['content-type'], 'application/json; charset=utf-8');
    assert.is(answer.headers['cache-control'], 'no-store');
    const body = answer.json() as RunsResponse;
    assert.is(body.store, `the ${kind.name} store`);
    assert.is(body.stale_after_seconds, STALE);
    const expected = await listRows(t.store, {
      now: body.now,
      staleAfterSeconds: STALE,
      mergeWorkers: true,
    });
    assert.equal(body.rows, wire(expected.rows));
    assert.equal(body.unusable, wire(expected.unusable));
    assert.equal(body.problems, wire(expected.problems));
    assert.equal(
      body.rows.map((r) => [r.run_name, r.process_name, r.status]),
      [
        [HOSTILE.runName, HOSTILE.processName, 'completed_with_failures'],
        ['live', 'ingest', 'running'],
        ['nightly', 'collect', 'completed_with_failures'],
        ['sync', 'push', 'running'],
      ].sort(),
    );
    const sync = body.rows.find((r) => r.run_name === 'sync');
    assert.is(sync?.worker_count, 2);
    assert.is(sync?.items_processed, 47);
    assert.equal(
      sync?.workers.map((w) => [w.worker, w.status]),
      [
        ['w1', 'completed'],
        ['w2', 'running'],
      ],
    );
  });

  test('/api/runs/:run/:process answers readDetail: one process, merged workers, one worker', async ({
    t,
    running,
  }) => {
    for (const ref of [NIGHTLY, LIVE, { ...SHARD('w1'), worker: null }, SHARD('w2'), HOSTILE]) {
      const answer = await raw(running.origin, path(ref));
      assert.is(answer.status, 200, refName(ref));
      const body = answer.json() as RunResponse;
      const expected = await readDetail(t.store, ref, { now: body.now, staleAfterSeconds: STALE });
      assert.equal(body.detail, wire(expected.detail), refName(ref));
      assert.equal(body.unusable, wire(expected.unusable));
    }
    const merged = (
      await raw(running.origin, path({ runName: 'sync', processName: 'push' }))
    ).json() as RunResponse;
    const detail = merged.detail as DetailView;
    assert.is(detail.worker_count, 2);
    assert.equal(
      detail.workers.map((w) => w.worker),
      ['w1', 'w2'],
    );
    const nightly = ((await raw(running.origin, path(NIGHTLY))).json() as RunResponse)
      .detail as DetailView;
    assert.is(nightly.items_processed, 500);
    assert.equal(
      nightly.sessions.map((s) => s.end_reason),
      ['signal', 'completed'],
    );
    assert.equal(
      nightly.errors_by_type.map((e) => [e.type, e.count]),
      [
        ['NetworkError', 3],
        ['ValidationError', 2],
      ],
    );
  });

  test('a run, process or worker that does not exist is a 404 ApiError E_NOT_FOUND', async ({
    running,
  }) => {
    for (const ref of [
      { runName: 'nope', processName: 'collect' },
      { runName: 'nightly', processName: 'nope' },
      { ...SHARD('w9') },
    ]) {
      for (const suffix of ['', '/timeline']) {
        const answer = await raw(running.origin, path(ref, suffix));
        assert.is(answer.status, 404, `${refName(ref)}${suffix}`);
        assert.is(answer.json().error.code, 'E_NOT_FOUND');
        assert.type(answer.json().error.message, 'string');
      }
    }
  });

  test('/timeline answers readTimeline of the same ref (merged for a process with workers), points bounded', async ({
    t,
    running,
  }) => {
    for (const ref of [NIGHTLY, { runName: 'sync', processName: 'push' }, SHARD('w2')]) {
      const body = (await raw(running.origin, path(ref, '/timeline'))).json() as TimelineResponse;
      const expected = await readTimeline(t.store, ref, {
        now: body.now,
        staleAfterSeconds: STALE,
      });
      assert.equal(body, wire(expected), refName(ref));
    }
    const nightly = (
      await raw(running.origin, path(NIGHTLY, '/timeline'))
    ).json() as TimelineResponse;
    assert.is(nightly.sessions.length, 2);
    assert.ok(nightly.interruptions.length >= 1, 'the SIGTERM is on the timeline');
    const few = (
      await raw(running.origin, path(NIGHTLY, '/timeline', 'points=2'))
    ).json() as TimelineResponse;
    assert.ok(few.points.length <= 2, `${few.points.length} points`);
    for (const bad of ['points=0', 'points=x', 'points=1&points=2', 'points=99999999']) {
      const answer = await raw(running.origin, path(NIGHTLY, '/timeline', bad));
      assert.is(answer.status, 400, bad);
      assert.is(answer.json().error.code, 'E_INVALID_ARGUMENT');
    }
  });

  test('/events pages through the journal with cursors: the pages add up to store.events', async ({
    t,
    running,
  }) => {
    const all: unknown[] = [];
    for await (const record of t.store.events(NIGHTLY)) all.push(record);
    assert.ok(all.length > 4, `${all.length} journal entries`);
    const whole = (await raw(running.origin, path(NIGHTLY, '/events'))).json() as EventsResponse;
    assert.equal(whole.records, wire(all));
    assert.is(whole.more, false);
    assert.is(whole.cursor, (all[all.length - 1] as { cursor: string }).cursor);
    const paged: unknown[] = [];
    let cursor: string | null = null;
    for (let pages = 0; ; pages++) {
      assert.ok(pages < all.length, 'paging ends');
      const query: string = `limit=2${cursor === null ? '' : `&after=${encodeURIComponent(cursor)}`}`;
      const page = (
        await raw(running.origin, path(NIGHTLY, '/events', query))
      ).json() as EventsResponse;
      assert.ok(page.records.length <= 2);
      paged.push(...page.records);
      if (page.cursor !== null) cursor = page.cursor;
      if (!page.more) break;
    }
    assert.equal(paged, wire(all));
    const after = (
      await raw(
        running.origin,
        path(NIGHTLY, '/events', `after=${encodeURIComponent(cursor as string)}`),
      )
    ).json() as EventsResponse;
    assert.equal(after, { records: [], cursor: null, more: false });
  });

  test('/events refuses a cursor the store did not give (400, the cursor the store refuses) and a bad limit (400 E_INVALID_ARGUMENT)', async ({
    t,
    running,
  }) => {
    let last = '';
    for await (const record of t.store.events(NIGHTLY)) last = record.cursor;
    // Malformed, and well-formed but not where an entry starts (the store's E_INVALID_OFFSET).
    const wrong = [...last].map((c) => (c >= '0' && c <= '8' ? String(Number(c) + 1) : c)).join('');
    let refused = 0;
    for (const after of ['garbage', '99999999999', '\u0000', `${last}x`, wrong]) {
      let expected = '';
      const records: unknown[] = [];
      try {
        for await (const record of t.store.events(NIGHTLY, { after })) records.push(record);
      } catch (error) {
        expected = (error as { code: string }).code;
      }
      const answer = await raw(
        running.origin,
        path(NIGHTLY, '/events', `after=${encodeURIComponent(after)}`),
      );
      if (expected === '') {
        // A cursor this store takes (PostgreSQL's ids past the end): the same entries.
        assert.is(answer.status, 200, after);
        assert.equal(answer.json().records, wire(records));
        continue;
      }
      refused += 1;
      assert.ok(
        ['E_INVALID_ARGUMENT', 'E_INVALID_OFFSET'].includes(expected),
        `${after}: ${expected}`,
      );
      assert.is(answer.status, 400, `after=${after}`);
      assert.is(answer.json().error.code, expected, `after=${after}`);
    }
    assert.ok(refused >= 3, `the store refused ${refused} cursors`);
    const empty = await raw(running.origin, path(NIGHTLY, '/events', 'after='));
    assert.is(empty.status, 400);
    assert.is(empty.json().error.code, 'E_INVALID_ARGUMENT');
    for (const limit of ['0', '5001', '-1', '1.5', 'ten']) {
      const answer = await raw(running.origin, path(NIGHTLY, '/events', `limit=${limit}`));
      assert.is(answer.status, 400, `limit=${limit}`);
      assert.is(answer.json().error.code, 'E_INVALID_ARGUMENT');
    }
  });

  test('bad names in paths and queries are 400 E_INVALID_NAME, malformed escapes 400 E_INVALID_ARGUMENT', async ({
    running,
  }) => {
    for (const target of [
      '/api/runs/nightly/%2E%2E',
      '/api/runs/%2E/collect',
      '/api/runs/a%2Fb/collect',
      '/api/runs/a%5Cb/collect',
      '/api/runs/nightly/collect%00',
      '/api/runs/nightly/col%40lect',
      '/api/runs/nightly/collect?worker=',
      '/api/runs/nightly/collect?worker=..',
      '/api/runs/nightly/collect/events?worker=a%1Bb',
      '/api/runs/nightly/collect/timeline?worker=%2F',
      '/api/stream?run=%2E%2E',
      '/api/stream?process=a%2Fb',
    ]) {
      const answer = await raw(running.origin, target);
      assert.is(answer.status, 400, target);
      assert.is(answer.json().error.code, 'E_INVALID_NAME', target);
    }
    for (const target of ['/api/runs/%E0%A4%A/collect', '/api/runs/nightly/%']) {
      const answer = await raw(running.origin, target);
      assert.is(answer.status, 400, target);
      assert.is(answer.json().error.code, 'E_INVALID_ARGUMENT', target);
    }
  });

  test('/metrics is what `export --format prometheus` writes for every run, passes promtool, no duplicate series', async ({
    t,
    running,
  }) => {
    const answer = await raw(running.origin, '/metrics');
    assert.is(answer.status, 200);
    assert.is(answer.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    // What the export command does for each run: readDetail of each (run, process), formatted.
    const listing = await t.store.list();
    const views: DetailView[] = [];
    const seen = new Set<string>();
    for (const s of listing.summaries) {
      const key = JSON.stringify([s.runName, s.processName]);
      if (seen.has(key)) continue;
      seen.add(key);
      const ref = { runName: s.runName, processName: s.processName };
      const { detail } = await readDetail(t.store, ref, {
        now: Date.now() / 1000,
        staleAfterSeconds: STALE,
      });
      if (detail !== null) views.push(detail);
    }
    assert.is(answer.text, prometheusFormatter.format(views));
    const samples = answer.text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    const series = samples.map((line) => line.slice(0, line.lastIndexOf(' ')));
    assert.is(new Set(series).size, series.length, 'no two samples share a name and labels');
    assert.ok(
      series.some((s) =>
        s.startsWith('pipeline_items_processed_total{run="sync",process="push",worker="w2"}'),
      ),
    );
    assert.ok(
      series.some((s) => s.includes('run="<img src=x onerror=alert(1)>&\\\\u2028"')),
      'hostile labels escaped',
    );
    const lint = promtool(answer.text);
    assert.is(lint.code, 0, lint.output);
    assert.is(lint.output, '', 'promtool has no warning');
  });

  test('stored strings reach the client as JSON text with <, >, & and U+2028/9 escaped', async ({
    running,
  }) => {
    for (const target of ['/api/runs', path(HOSTILE), path(HOSTILE, '/events')]) {
      const answer = await raw(running.origin, target);
      assert.is(answer.status, 200, target);
      assert.not.match(answer.text, /[<>&\u2028\u2029]/, target);
      assert.match(answer.text, /\\u003c/);
    }
    const detail = (await raw(running.origin, path(HOSTILE))).json() as RunResponse;
    assert.is(detail.detail?.run_name, HOSTILE.runName);
    assert.equal(detail.detail?.last_error?.message, '</script><script>alert(1)</script>');
    assert.equal(detail.detail?.custom_metrics, { '<svg onload=alert(1)>': '\u2029&amp;' });
  });

  test('HEAD answers the headers of GET without a body', async ({ running }) => {
    for (const target of ['/api/runs', path(NIGHTLY), '/metrics', '/healthz']) {
      const get = await raw(running.origin, target);
      const head = await raw(running.origin, target, { method: 'HEAD' });
      assert.is(head.status, 200, target);
      assert.is(head.body.length, 0);
      assert.is(head.headers['content-type'], get.headers['content-type']);
      assert.ok(Number(head.headers['content-length']) > 0);
    }
  });

  test.run();
}
