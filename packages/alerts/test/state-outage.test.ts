/**
 * Review of the persisted state after the store was briefly unavailable (a PostgreSQL restart,
 * a full disk): the defect REVIEW-ALERTS.md named, kept as a regression test.
 */
import { strict as assert } from 'node:assert';
import { ProcessSummaryError, type SummaryStore } from '@process-summary/core';
import { test } from 'uvu';
import { createAlerter } from '../src/alerter.js';
import type { Notification, Notifier } from '../src/notification.js';
import { parseRules } from '../src/rules.js';
import { memoryStore, saveSummary } from './_kit.js';

function recorder(): Notifier & { got: Notification[] } {
  const got: Notification[] = [];
  return {
    name: 'rec',
    got,
    async send(n) {
      got.push(n);
    },
  };
}

test('state writes that failed during a store outage are made again once it is back: a later restart sends no duplicate firing', async () => {
  const { store: memory, clock } = memoryStore();
  let down = true;
  let writtenSinceBack = 0;
  const store = new Proxy(memory, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      if (key === 'writeState') {
        return async (...args: unknown[]) => {
          if (down) throw new ProcessSummaryError('E_IO', 'store unavailable (test outage)');
          const written = await value.apply(target, args);
          writtenSinceBack += 1;
          return written;
        };
      }
      return value.bind(target);
    },
  }) as SummaryStore;
  await saveSummary(memory, clock, { run: 'harvard_1', process: 'collect' }, (s) =>
    s.incrementItems({ processed: 10, failed: 10 }),
  );
  const text = `
rules:
  - name: errors
    match: { run: "harvard_*", process: collect }
    when: { error_rate_percent: { above: 5 } }
settings: { evaluate_every: 1s }
`;
  const rules = parseRules(text, { format: 'yaml', source: 'rules.yaml', baseDir: '/tmp' });
  const rec = recorder();
  const a = createAlerter({ store, rules, now: () => clock.now(), notifiers: [rec] });
  const rec2 = recorder();
  const b = createAlerter({ store: memory, rules, now: () => clock.now(), notifiers: [rec2] });
  try {
    await a.start();
    // The firing goes out while the store cannot be written.
    for (let i = 0; i < 200 && rec.got.length === 0; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(rec.got.length, 1, 'the firing notification went out during the outage');
    down = false;
    // The store is back; the alerter keeps running, evaluation after evaluation, until it has
    // written its state (a minute at most: a hang guard).
    for (let i = 0; i < 60 && writtenSinceBack === 0; i += 1) {
      clock.advance(1);
      await new Promise((r) => setTimeout(r, 1100));
    }
    // `a` is SIGKILLed now (nothing is written by close()); its successor starts.
    const result = await b.evaluate();
    assert.deepEqual(
      result.notifications.map((n) => n.status),
      [],
      'the successor knows the alert fired and was delivered: no duplicate firing',
    );
  } finally {
    await b.close();
    await a.close();
  }
});

test.run();
