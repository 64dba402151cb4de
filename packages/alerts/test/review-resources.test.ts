/**
 * Review of the cost of an evaluation over many runs, counted in store reads (not time).
 * Fails now because of a defect named in REVIEW-ALERTS.md.
 */
import { strict as assert } from 'node:assert';
import type { SummaryStore } from '@process-summary/core';
import { test } from 'uvu';
import { createAlerter } from '../src/alerter.js';
import { parseRules } from '../src/rules.js';
import { memoryStore, saveSummary } from './_kit.js';

/** `store` with every summary read counted (read, and each ref of readMany). */
function counting(store: SummaryStore): { store: SummaryStore; reads: () => number } {
  let reads = 0;
  const proxy = new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      if (key === 'read') {
        return (...args: unknown[]) => {
          reads += 1;
          return value.apply(target, args);
        };
      }
      if (key === 'readMany') {
        return (refs: unknown[], ...rest: unknown[]) => {
          reads += refs.length;
          return value.apply(target, [refs, ...rest]);
        };
      }
      return value.bind(target);
    },
  });
  return { store: proxy, reads: () => reads };
}

test('10,000 runs, nothing saved between two timer ticks: the second tick does not re-read every summary', async () => {
  const { store: memory, clock } = memoryStore();
  const n = 10_000;
  for (let i = 0; i < n; i += 1) {
    await saveSummary(memory, clock, { run: `run_${i}`, process: 'collect' }, (s) => {
      s.incrementItems({ processed: 10, successful: 10 });
      s.endProcess();
    });
  }
  const { store, reads } = counting(memory);
  const alerter = createAlerter({
    store,
    rules: parseRules('rules:\n  - name: failed\n    when: { status: [failed, crashed] }\n', {
      format: 'yaml',
      source: 'rules.yaml',
      baseDir: '/tmp',
    }),
    now: () => clock.now(),
    notifiers: [],
  });
  try {
    await alerter.evaluate();
    const first = reads();
    assert.ok(first >= n, `the first tick reads every summary (${first})`);
    clock.advance(15);
    await alerter.evaluate();
    const second = reads() - first;
    assert.ok(
      second < n / 10,
      `a tick with no save re-read ${second} of ${n} unchanged summaries (the listing's writtenAt says none changed)`,
    );
  } finally {
    await alerter.close();
  }
});

test.run();
