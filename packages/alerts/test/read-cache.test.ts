/**
 * The cost of an evaluation over many runs, counted in store reads (not time): a summary is
 * read again only when its listing's `writtenAt` changed; an unchanged live one is judged
 * again (a stall) from what was read.
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
  // The first tick comes after the saves (a tick in the same second as a save re-reads it).
  clock.advance(1);
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

test('cached summaries: a changed one is read again and fires; an unchanged live one goes stale without a read', async () => {
  const { store: memory, clock } = memoryStore();
  await saveSummary(memory, clock, { run: 'quiet', process: 'collect' });
  const busy = await saveSummary(memory, clock, { run: 'busy', process: 'collect' });
  clock.advance(1);
  const { store, reads } = counting(memory);
  const alerter = createAlerter({
    store,
    rules: parseRules(
      'rules:\n  - name: errors\n    match: { run: busy }\n    when: { error_rate_percent: { above: 5 } }\n  - name: stale\n    match: { run: quiet }\n    when: { stale_for: 10m }\n',
      { format: 'yaml', source: 'rules.yaml', baseDir: '/tmp' },
    ),
    now: () => clock.now(),
    notifiers: [],
  });
  try {
    assert.equal((await alerter.evaluate()).notifications.length, 0);
    const first = reads();
    assert.equal(first, 2);
    clock.advance(5);
    busy.incrementItems({ processed: 10, failed: 10 });
    await memory.save(busy);
    clock.advance(700);
    const result = await alerter.evaluate();
    assert.equal(reads() - first, 1, 'only the summary written since is read');
    assert.deepEqual(
      result.notifications.map((n) => `${n.rule}:${n.run}`).sort(),
      ['errors:busy', 'stale:quiet'],
      'the changed summary is judged from its new content, the quiet one from the cache and now',
    );
  } finally {
    await alerter.close();
  }
});

test.run();
