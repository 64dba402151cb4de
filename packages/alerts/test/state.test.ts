/**
 * Review of the persisted alert state: what a user sees across restarts and with a shared
 * state key. Each test fails now because of a defect named in REVIEW-ALERTS.md.
 */
import { strict as assert } from 'node:assert';
import { canKeepState } from '@process-summary/core';
import { test } from 'uvu';
import { createAlerter } from '../src/alerter.js';
import type { Notification, Notifier } from '../src/notification.js';
import { parseRules, type RulesConfig } from '../src/rules.js';
import { memoryStore, recordingLogger, saveSummary } from './_kit.js';

const rules = (text: string): RulesConfig =>
  parseRules(text, { format: 'yaml', source: 'rules.yaml', baseDir: '/tmp' });

function recorder(name = 'rec'): Notifier & { got: Notification[] } {
  const got: Notification[] = [];
  return {
    name,
    got,
    async send(n) {
      got.push(n);
    },
  };
}

const ruleText = (name: string, extra = '') => `
rules:
  - name: ${name}
    match: { run: "harvard_*", process: collect }
    when: { error_rate_percent: { above: 5 } }
${extra}
`;

test('a persisted alert with a malformed pending_delivery entry is skipped: the alerter still starts', async () => {
  const { store, clock } = memoryStore();
  assert.ok(canKeepState(store));
  await store.writeState(
    'alerts/default',
    {
      format: 1,
      alerts: [
        // Everything the loader checks is there; the pending delivery entry is not well-formed.
        { fingerprint: '0123456789abcdef', rule: 'r', state: 'firing', pending_delivery: [{}] },
      ],
    },
    null,
  );
  await saveSummary(store, clock, { run: 'harvard_1', process: 'collect' });
  const logger = recordingLogger();
  const alerter = createAlerter({
    store,
    rules: rules(ruleText('r')),
    now: () => clock.now(),
    notifiers: [recorder()],
    logger,
  });
  try {
    await alerter.start();
    assert.equal(alerter.alerts.size, 0, 'the malformed alert is not loaded');
    assert.ok(
      logger.entries.some((e) => e.level === 'warn' && /unreadable alert/.test(e.message)),
      'the skipped alert is logged with what is wrong',
    );
  } finally {
    await alerter.close();
  }
});

test('two alerters with different rules on the default state key (serve --rules beside alert): neither resolves the other’s firing alert, and its resolve is not lost', async () => {
  const { store, clock } = memoryStore();
  const s = await saveSummary(store, clock, { run: 'harvard_1', process: 'collect' }, (x) =>
    x.incrementItems({ processed: 10, failed: 10 }),
  );
  const recB = recorder();
  const b = createAlerter({
    store,
    rules: rules(ruleText('b-rule')),
    now: () => clock.now(),
    notifiers: [recB],
  });
  assert.equal((await b.evaluate()).notifications.length, 1, 'b fires and persists');
  // b is now SIGKILLed (never closed, nothing more written by it).
  const a = createAlerter({
    store,
    rules: rules(ruleText('a-rule')),
    now: () => clock.now(),
    notifiers: [recorder()],
  });
  clock.advance(15);
  assert.deepEqual(
    (await a.evaluate()).notifications.map((n) => `${n.rule}:${n.status}`),
    ['a-rule:firing'],
    'a fires its own rule and does not resolve b-rule, which still holds',
  );
  await a.close();
  // The run recovers; b's replacement starts and must send b's resolve.
  s.incrementItems({ processed: 1000, successful: 1000 });
  await store.save(s);
  clock.advance(15);
  const recB2 = recorder();
  const b2 = createAlerter({
    store,
    rules: rules(ruleText('b-rule')),
    now: () => clock.now(),
    notifiers: [recB2],
  });
  try {
    const result = await b2.evaluate();
    assert.deepEqual(
      result.notifications.map((n) => `${n.rule}:${n.status}`),
      ['b-rule:resolved'],
      'the resolve of the alert b fired must still arrive',
    );
  } finally {
    await b2.close();
  }
});

test('pending since survives an alerter that died while the alert was pending: `for` is not restarted', async () => {
  const { store, clock } = memoryStore();
  await saveSummary(store, clock, { run: 'harvard_1', process: 'collect' }, (x) =>
    x.incrementItems({ processed: 10, failed: 10 }),
  );
  const text = ruleText('pending-rule', '    for: 10m');
  const a = createAlerter({
    store,
    rules: rules(text),
    now: () => clock.now(),
    notifiers: [recorder()],
  });
  const rec = recorder();
  const b = createAlerter({ store, rules: rules(text), now: () => clock.now(), notifiers: [rec] });
  try {
    await a.start();
    assert.equal([...a.alerts.values()][0]?.state, 'pending');
    // `a` is SIGKILLed here: nothing after start() is written by it. Its successor evaluates
    // after the `for` window has passed, the condition holding all along.
    clock.advance(600);
    const result = await b.evaluate();
    assert.deepEqual(
      result.notifications.map((n) => n.status),
      ['firing'],
      'pending since 10 minutes ago (persisted) -> firing now',
    );
  } finally {
    await a.close();
    await b.close();
  }
});

test('many firing alerts (state over 1 MiB): a restarted alerter sends no duplicate firing', async () => {
  const { store, clock } = memoryStore();
  const n = 1200;
  for (let i = 0; i < n; i += 1) {
    await saveSummary(store, clock, { run: `harvard_${i}`, process: 'collect' }, (x) =>
      x.incrementItems({ processed: 10, failed: 10 }),
    );
  }
  const text = `
rules:
  - name: errors
    match: { run: "harvard_*", process: collect }
    when: { error_rate_percent: { above: 5 } }
    annotations:
      summary: "{{run}}/{{process}}: {{error_rate_percent}}% errors"
      description: "${'x'.repeat(900)}"
`;
  const rec1 = recorder();
  const a = createAlerter({ store, rules: rules(text), now: () => clock.now(), notifiers: [rec1] });
  assert.equal((await a.evaluate()).notifications.length, n);
  await a.close();
  clock.advance(15);
  const rec2 = recorder();
  const b = createAlerter({ store, rules: rules(text), now: () => clock.now(), notifiers: [rec2] });
  try {
    const again = await b.evaluate();
    assert.equal(again.notifications.length, 0, 'a restart must not re-fire every alert');
  } finally {
    await b.close();
  }
});

test.run();
