/**
 * Review of close() with deliveries in flight (a receiver that never answers when the alerter
 * is stopped). Fails now because of a defect named in REVIEW-ALERTS.md.
 */
import { strict as assert } from 'node:assert';
import { waitUntil } from '@process-summary/test-kit';
import { test } from 'uvu';
import { createAlerter } from '../src/alerter.js';
import type { Notification, Notifier } from '../src/notification.js';
import { parseRules } from '../src/rules.js';
import { memoryStore, saveSummary } from './_kit.js';

test('a firing notification aborted by close() (receiver never answered) is sent by the restarted alerter', async () => {
  const { store, clock } = memoryStore();
  await saveSummary(store, clock, { run: 'harvard_1', process: 'collect' }, (s) =>
    s.incrementItems({ processed: 10, failed: 10 }),
  );
  const rules = parseRules(
    'rules:\n  - name: errors\n    match: { run: "harvard_*", process: collect }\n    when: { error_rate_percent: { above: 5 } }\n',
    { format: 'yaml', source: 'rules.yaml', baseDir: '/tmp' },
  );
  let attempts = 0;
  // The receiver is down: it never answers; the attempt ends only when aborted.
  const hanging: Notifier = {
    name: 'page',
    send(_n, signal) {
      attempts += 1;
      return new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(new Error('aborted')));
      });
    },
  };
  const a = createAlerter({
    store,
    rules,
    now: () => clock.now(),
    notifiers: [hanging],
    closeTimeoutMs: 50,
  });
  await a.start();
  await waitUntil(() => attempts > 0);
  assert.equal(attempts, 1, 'the firing notification is in flight');
  await a.close(); // a service stop: systemd's SIGTERM
  const got: Notification[] = [];
  const b = createAlerter({
    store,
    rules,
    now: () => clock.now(),
    notifiers: [
      {
        name: 'page',
        async send(n) {
          got.push(n);
        },
      },
    ],
  });
  try {
    await b.evaluate();
    assert.deepEqual(
      got.map((n) => n.status),
      ['firing'],
      'the firing never reached the receiver: the restarted alerter must send it (at-least-once)',
    );
  } finally {
    await b.close();
  }
});

test.run();
