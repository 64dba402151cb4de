/**
 * Review of the bounded delivery queue while a receiver is slow. Fails now because of a defect
 * named in REVIEW-ALERTS.md.
 */
import { strict as assert } from 'node:assert';
import { waitUntil } from '@process-summary/test-kit';
import { test } from 'uvu';
import { createAlerter } from '../src/alerter.js';
import type { Notifier } from '../src/notification.js';
import { parseRules } from '../src/rules.js';
import { memoryStore, saveSummary } from './_kit.js';

test('a resolve is not lost when the delivery queue overflows: a firing delivered earlier gets its resolve once the receiver catches up', async () => {
  const { store, clock } = memoryStore();
  const rules = parseRules(
    'rules:\n  - name: errors\n    when: { error_rate_percent: { above: 5 } }\n',
    { format: 'yaml', source: 'rules.yaml', baseDir: '/tmp' },
  );
  const slow = new Set(['run_1', 'run_2', 'run_3', 'run_4']);
  let release: () => void = () => {};
  const released = new Promise<void>((r) => {
    release = r;
  });
  const delivered: string[] = [];
  let inFlight = 0;
  const page: Notifier = {
    name: 'page',
    async send(n, signal) {
      if (n.status === 'firing' && slow.has(n.run)) {
        inFlight += 1;
        await new Promise<void>((resolve, reject) => {
          void released.then(resolve);
          signal.addEventListener('abort', () => reject(new Error('aborted')));
        });
      }
      delivered.push(`${n.run}:${n.status}`);
    },
  };
  const a = createAlerter({
    store,
    rules,
    now: () => clock.now(),
    notifiers: [page],
    maxQueuedDeliveries: 1,
    watchDelayMs: 10,
  });
  const failing = (run: string) =>
    saveSummary(store, clock, { run, process: 'collect' }, (s) =>
      s.incrementItems({ processed: 10, failed: 10 }),
    );
  try {
    const s5 = await failing('run_5');
    await a.start();
    await waitUntil(() => delivered.includes('run_5:firing'));
    assert.ok(delivered.includes('run_5:firing'), 'run_5 fired and the receiver has it');
    // The receiver becomes slow: four firings occupy every delivery slot.
    for (const run of slow) await failing(run);
    await waitUntil(() => inFlight === 4);
    assert.equal(inFlight, 4);
    // run_5 recovers (its resolve waits), then another run fails (the queue bound is 1).
    s5.incrementItems({ processed: 10_000, successful: 10_000 });
    await store.save(s5);
    await waitUntil(() =>
      [...a.alerts.values()].some((x) => x.run === 'run_5' && x.state === 'resolved'),
    );
    await failing('run_6');
    await waitUntil(() => [...a.alerts.values()].some((x) => x.run === 'run_6'));
    release();
    await waitUntil(() => delivered.includes('run_5:resolved'));
    assert.ok(
      delivered.includes('run_5:resolved'),
      `run_5's receiver saw it fire and must see it resolve (delivered: ${delivered.join(', ')})`,
    );
  } finally {
    release();
    await a.close();
  }
});

test.run();
