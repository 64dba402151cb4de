/**
 * The live hub must not re-judge every `stale` row it knows every `rejudgeIntervalMs` (5 s),
 * for as long as a stream is open (it did: isLive took running, stale and file_status running). A
 * stale row whose owner record is released or absent (`none`) can only change through a save,
 * which the watch reports anyway; re-reading it is pure load. Real stores accumulate such runs
 * (killed pipelines never cleaned up): a store with 10,000 of them and one open tab costs
 * 10,000 summary reads plus owner look-ups every 5 s, forever. Only rows whose judgement can
 * change without a save (running: an owner judged alive may turn dead, a silence may turn
 * stale) are re-read, at most MAX_REJUDGE_PER_ROUND per round.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessSummary, type SummaryStore, silentLogger } from '@process-summary/core';
import { listRows } from '@process-summary/inspect';
import { FileSummaryStore, silentLogger as storeLogger } from '@process-summary/store-fs';
import { waitUntil } from '@process-summary/test-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LiveHub } from '../src/live/hub.js';

const RUNS = 40;

test('stale runs with no owner are not re-read on every re-judging round', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ps-review-'));
  const inner = new FileSummaryStore({ root, logger: storeLogger });
  let server: Server | null = null;
  let hub: LiveHub | null = null;
  try {
    for (let i = 0; i < RUNS; i += 1) {
      const ref = { runName: `old${i}`, processName: 'collect', worker: null };
      const summary = new ProcessSummary(ref);
      const { lease } = await inner.acquire(ref);
      summary.startProcess();
      summary.incrementItems({ processed: 1, successful: 1 });
      await inner.save(summary, lease);
      // Killed without ending: the summary says running, the owner record is released.
      await inner.release(lease);
    }
    let reads = 0;
    const store = new Proxy(inner, {
      get(target, property) {
        if (property === 'read') {
          return (...args: unknown[]) => {
            reads += 1;
            return (target.read as (...a: unknown[]) => unknown)(...args);
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as SummaryStore;
    // A day later: every one of them is stale.
    const rowOptions = () => ({ now: Date.now() / 1000 + 86_400, staleAfterSeconds: 300 });
    const { rows } = await listRows(store, { ...rowOptions(), mergeWorkers: true });
    assert.ok(
      rows.every((r) => r.status === 'stale'),
      'the fixture runs are stale',
    );
    const h = new LiveHub({
      store,
      logger: silentLogger,
      rowOptions,
      maxClients: 10,
      rejudgeIntervalMs: 20,
    });
    hub = h;
    h.noteRows(rows);
    const s = createServer((request, response) => {
      h.attach(request, response, {}, {});
    });
    server = s;
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
    const port = (s.address() as { port: number }).port;
    const req = get(`http://127.0.0.1:${port}/`, (response) => response.resume());
    req.on('error', () => {});
    const before = reads;
    // Ten rounds' worth of re-judging (the interval is 20 ms); nothing was saved meanwhile.
    await waitUntil(() => reads - before >= RUNS * 3, 5_000).catch(() => {});
    req.destroy();
    assert.ok(
      reads - before < RUNS * 3,
      `${reads - before} reads of ${RUNS} stale, unowned, unchanged summaries without any save`,
    );
  } finally {
    await hub?.close();
    await new Promise<void>((resolve) =>
      server === null ? resolve() : server.close(() => resolve()),
    );
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
