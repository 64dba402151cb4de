import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canKeepState, createManualClock, type SummaryStore } from '@process-summary/core';
import { FileSummaryStore } from '@process-summary/store-fs';
import { waitUntil } from '@process-summary/test-kit';
import { test } from 'uvu';
import { type AlerterOptions, createAlerter } from '../src/alerter.js';
import type { Notification, Notifier } from '../src/notification.js';
import { parseRules, type RulesConfig } from '../src/rules.js';
import { fingerprintOf } from '../src/state.js';
import {
  caught,
  memoryStore,
  type Receiver,
  recordingLogger,
  saveSummary,
  startReceiver,
  storeWithoutState,
  T0,
} from './_kit.js';

const rules = (text: string, baseDir = '/tmp'): RulesConfig =>
  parseRules(text, { format: 'yaml', source: 'rules.yaml', baseDir });

const errorRules = (url: string, extra = '') => `
rules:
  - name: too-many-errors
    match: { run: "harvard_*", process: collect }
    when: { error_rate_percent: { above: 5 } }
    severity: critical
    labels: { team: digitization }
    annotations: { summary: "{{run}}/{{process}}: {{error_rate_percent}}% errors ({{labels.team}})" }
${extra}
notifiers:
  - { type: webhook, url: "${url}/hook" }
`;

/** A notifier that records what it is given. */
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

const bodies = (r: Receiver) =>
  r.received.map((x) => JSON.parse(x.body) as { status: string; alerts: Notification[] });

test('a run crossing the error threshold: exactly one firing, a recovery exactly one resolved', async () => {
  const receiver = await startReceiver();
  const { store, clock } = memoryStore();
  const alerter = createAlerter({
    store,
    rules: rules(errorRules(receiver.url)),
    now: () => clock.now(),
  });
  try {
    const s = await saveSummary(store, clock, { run: 'harvard_2024', process: 'collect' }, (s) =>
      s.incrementItems({ processed: 100, successful: 100 }),
    );
    assert.equal((await alerter.evaluate()).notifications.length, 0, 'below the threshold');
    s.incrementItems({ processed: 20, failed: 20 });
    await store.save(s);
    clock.advance(15);
    const fired = await alerter.evaluate();
    assert.equal(fired.firing, 1);
    assert.deepEqual(fired.deliveries, { delivered: 1, failed: 0 });
    for (let i = 0; i < 3; i += 1) {
      clock.advance(15);
      assert.equal((await alerter.evaluate()).notifications.length, 0, 'no duplicate while firing');
    }
    assert.equal(receiver.received.length, 1);
    const [firing] = bodies(receiver);
    assert.equal(firing?.status, 'firing');
    const alert = firing?.alerts[0];
    assert.equal(alert?.annotations.summary, 'harvard_2024/collect: 16.67% errors (digitization)');
    assert.equal(
      alert?.fingerprint,
      fingerprintOf('too-many-errors', 'harvard_2024', 'collect', null),
    );
    assert.equal(alert?.starts_at, new Date((clock.now() - 45) * 1000).toISOString());
    assert.equal(alert?.value, 16.67);
    s.incrementItems({ processed: 1000, successful: 1000 });
    await store.save(s);
    clock.advance(15);
    const resolved = await alerter.evaluate();
    assert.deepEqual(
      resolved.notifications.map((n) => n.status),
      ['resolved'],
    );
    clock.advance(15);
    await alerter.evaluate();
    assert.equal(receiver.received.length, 2, 'one resolved, once');
    const [, end] = bodies(receiver);
    assert.equal(end?.alerts[0]?.ends_at, new Date((clock.now() - 15) * 1000).toISOString());
    assert.equal(end?.alerts[0]?.fingerprint, alert?.fingerprint);
  } finally {
    await alerter.close();
    await receiver.close();
  }
});

test('a receiver answering 500 twice then 200 gets the firing alert once it recovers', async () => {
  const receiver = await startReceiver();
  const { store, clock } = memoryStore();
  const slept: number[] = [];
  const alerter = createAlerter({
    store,
    rules: rules(errorRules(receiver.url)),
    now: () => clock.now(),
    retry: { sleep: async (ms) => void slept.push(ms), random: () => 0.25 },
  });
  try {
    receiver.statuses.push(500, 500);
    await saveSummary(store, clock, { run: 'harvard_1', process: 'collect' }, (s) =>
      s.incrementItems({ processed: 10, failed: 10 }),
    );
    const result = await alerter.evaluate();
    assert.deepEqual(result.deliveries, { delivered: 1, failed: 0 });
    assert.equal(receiver.received.length, 3, 'two refused attempts, one accepted');
    assert.equal(new Set(receiver.received.map((r) => r.body)).size, 1);
    assert.deepEqual(slept, [250, 500]);
    clock.advance(60);
    await alerter.evaluate();
    assert.equal(receiver.received.length, 3, 'accepted once: not sent again');
  } finally {
    await alerter.close();
    await receiver.close();
  }
});

test('the webhook signature of what the alerter sends verifies with the secret file', async () => {
  const receiver = await startReceiver();
  const dir = await mkdtemp(join(tmpdir(), 'alerts-sig-'));
  const { store, clock } = memoryStore();
  try {
    await writeFile(join(dir, 'hook.secret'), 'top-secret\n', { mode: 0o600 });
    const text = errorRules(receiver.url).replace('/hook" }', '/hook", secret_file: hook.secret }');
    const alerter = createAlerter({ store, rules: rules(text, dir), now: () => clock.now() });
    await saveSummary(store, clock, { run: 'harvard_1', process: 'collect' }, (s) =>
      s.incrementItems({ processed: 10, failed: 10 }),
    );
    await alerter.evaluate();
    await alerter.close();
    const got = receiver.received[0];
    const expected = `sha256=${createHmac('sha256', 'top-secret')
      .update(got?.body ?? '')
      .digest('hex')}`;
    assert.equal(got?.headers['x-process-summary-signature'], expected);
  } finally {
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('`for`: pending until the conditions held that long; a dip starts over', async () => {
  const { store, clock } = memoryStore();
  const rec = recorder();
  const text = errorRules('http://127.0.0.1:1').replace(
    'severity: critical',
    'severity: critical\n    for: 2m',
  );
  const alerter = createAlerter({
    store,
    rules: rules(text),
    now: () => clock.now(),
    notifiers: [rec],
  });
  try {
    const s = await saveSummary(store, clock, { run: 'harvard_1', process: 'collect' }, (s) =>
      s.incrementItems({ processed: 10, failed: 10 }),
    );
    const first = await alerter.evaluate();
    assert.equal(first.pending, 1);
    const [state] = [...alerter.alerts.values()];
    assert.equal(state?.state, 'pending');
    assert.equal(state?.pending_since, clock.now());
    clock.advance(119);
    assert.equal((await alerter.evaluate()).notifications.length, 0);
    // Recovers for one evaluation: pending is forgotten.
    s.incrementItems({ processed: 1000, successful: 1000 });
    await store.save(s);
    clock.advance(1);
    const dip = await alerter.evaluate();
    assert.equal(dip.pending, 0);
    assert.equal(alerter.alerts.size, 0);
    s.incrementItems({ processed: 1000, failed: 1000 });
    await store.save(s);
    clock.advance(1);
    await alerter.evaluate();
    clock.advance(119);
    assert.equal((await alerter.evaluate()).notifications.length, 0, 'the 2 minutes count again');
    clock.advance(1);
    const fired = await alerter.evaluate();
    assert.deepEqual(
      fired.notifications.map((n) => n.status),
      ['firing'],
    );
    assert.equal(rec.got.length, 1);
    assert.equal(rec.got[0]?.starts_at, new Date(clock.now() * 1000).toISOString());
  } finally {
    await alerter.close();
  }
});

test('repeat interval: a firing alert is sent again every repeat_every, and only then', async () => {
  const { store, clock } = memoryStore();
  const rec = recorder();
  const text = errorRules('http://127.0.0.1:1', 'settings: { repeat_every: 1h }');
  const alerter = createAlerter({
    store,
    rules: rules(text),
    now: () => clock.now(),
    notifiers: [rec],
  });
  try {
    await saveSummary(store, clock, { run: 'harvard_1', process: 'collect' }, (s) =>
      s.incrementItems({ processed: 10, failed: 10 }),
    );
    await alerter.evaluate();
    for (let t = 0; t < 3599; t += 600) {
      clock.advance(t === 0 ? 599 : 600);
      await alerter.evaluate();
    }
    assert.equal(rec.got.length, 1, `${clock.now()}`);
    clock.set(clock.now() + 1);
    await alerter.evaluate();
    assert.equal(rec.got.length, 2);
    assert.equal(rec.got[1]?.status, 'firing');
    assert.equal(rec.got[1]?.starts_at, rec.got[0]?.starts_at, 'the same alert, the same start');
  } finally {
    await alerter.close();
  }
});

test('resolve_notify false: resolving sends nothing', async () => {
  const { store, clock } = memoryStore();
  const rec = recorder();
  const text = errorRules('http://127.0.0.1:1', 'settings: { resolve_notify: false }');
  const alerter = createAlerter({
    store,
    rules: rules(text),
    now: () => clock.now(),
    notifiers: [rec],
  });
  try {
    const s = await saveSummary(store, clock, { run: 'harvard_1', process: 'collect' }, (s) =>
      s.incrementItems({ processed: 10, failed: 10 }),
    );
    await alerter.evaluate();
    s.incrementItems({ processed: 1000, successful: 1000 });
    await store.save(s);
    await alerter.evaluate();
    assert.deepEqual(
      rec.got.map((n) => n.status),
      ['firing'],
    );
    assert.equal([...alerter.alerts.values()][0]?.state, 'resolved');
  } finally {
    await alerter.close();
  }
});

test('a summary that is removed resolves its alerts; a store that fails changes nothing', async () => {
  const { store, clock } = memoryStore();
  const rec = recorder();
  const alerter = createAlerter({
    store,
    rules: rules(errorRules('http://127.0.0.1:1')),
    now: () => clock.now(),
    notifiers: [rec],
  });
  try {
    await saveSummary(store, clock, { run: 'harvard_1', process: 'collect' }, (s) =>
      s.incrementItems({ processed: 10, failed: 10 }),
    );
    await alerter.evaluate();
    const list = store.list.bind(store);
    store.list = async () => {
      throw new Error('disk on fire');
    };
    const err = await caught(() => alerter.evaluate());
    assert.match(err.message, /disk on fire/);
    assert.equal(
      [...alerter.alerts.values()][0]?.state,
      'firing',
      'an unreachable store resolves nothing',
    );
    store.list = list;
    await store.remove({ runName: 'harvard_1', processName: 'collect' });
    const gone = await alerter.evaluate();
    assert.deepEqual(
      gone.notifications.map((n) => n.status),
      ['resolved'],
    );
    assert.deepEqual(
      rec.got.map((n) => n.status),
      ['firing', 'resolved'],
    );
  } finally {
    await alerter.close();
  }
});

test('a finished run is judged for forget_finished_after after its last save, then its alert resolves', async () => {
  const { store, clock } = memoryStore();
  const rec = recorder();
  const text = `
rules:
  - { name: failed, when: { status: [failed] } }
settings: { forget_finished_after: 1h, repeat_every: 1d }
`;
  const alerter = createAlerter({
    store,
    rules: rules(text),
    now: () => clock.now(),
    notifiers: [rec],
  });
  try {
    await saveSummary(store, clock, { run: 'old', process: 'p' }, (s) =>
      s.endProcess({ outcome: 'failed' }),
    );
    clock.advance(3601);
    await saveSummary(store, clock, { run: 'new', process: 'p' }, (s) =>
      s.endProcess({ outcome: 'failed' }),
    );
    await alerter.evaluate();
    assert.deepEqual(
      rec.got.map((n) => `${n.status} ${n.run}`),
      ['firing new'],
      'the old failure pages nobody',
    );
    clock.advance(3600);
    await alerter.evaluate();
    assert.equal(rec.got.length, 1);
    clock.advance(1);
    await alerter.evaluate();
    assert.deepEqual(
      rec.got.map((n) => `${n.status} ${n.run}`),
      ['firing new', 'resolved new'],
    );
  } finally {
    await alerter.close();
  }
});

test('match: globs over names; a worker glob judges each worker, none the merged process', async () => {
  const { store, clock } = memoryStore();
  const rec = recorder();
  const text = `
rules:
  - name: process-failed
    match: { run: "night-*", process: "ocr" }
    when: { error_type_count: { type: Timeout, above: 2 } }
  - name: worker-failed
    match: { run: "night-*", process: "ocr", worker: "gpu-*" }
    when: { error_type_count: { type: Timeout, above: 2 } }
`;
  const alerter = createAlerter({
    store,
    rules: rules(text),
    now: () => clock.now(),
    notifiers: [rec],
  });
  try {
    const timeouts = (n: number) => (s: { addError(t: string, m: string): void }) => {
      for (let i = 0; i < n; i += 1) s.addError('Timeout', 'slow');
    };
    await saveSummary(
      store,
      clock,
      { run: 'night-1', process: 'ocr', worker: 'gpu-0' },
      timeouts(2),
    );
    await saveSummary(
      store,
      clock,
      { run: 'night-1', process: 'ocr', worker: 'gpu-1' },
      timeouts(1),
    );
    await saveSummary(
      store,
      clock,
      { run: 'night-1', process: 'ocr', worker: 'cpu-0' },
      timeouts(3),
    );
    await saveSummary(store, clock, { run: 'day-1', process: 'ocr' }, timeouts(9));
    await saveSummary(store, clock, { run: 'night-2', process: 'ocr-extra' }, timeouts(9));
    await alerter.evaluate();
    const got = rec.got.map((n) => `${n.rule} ${n.run}/${n.process}@${n.worker}`).sort();
    assert.deepEqual(
      got,
      ['process-failed night-1/ocr@null'],
      'merged: 6 timeouts; gpu workers 2 and 1; cpu-0 does not match gpu-*',
    );
    await saveSummary(
      store,
      clock,
      { run: 'night-1', process: 'ocr', worker: 'gpu-1' },
      timeouts(3),
    );
    await alerter.evaluate();
    assert.deepEqual(
      rec.got.slice(1).map((n) => `${n.rule} ${n.worker}`),
      ['worker-failed gpu-1'],
    );
  } finally {
    await alerter.close();
  }
});

test('state persists: a new alerter on the same store sends no duplicate and still sends the resolve', async () => {
  const receiver = await startReceiver();
  const { store, clock } = memoryStore();
  const options = (): AlerterOptions => ({
    store,
    rules: rules(errorRules(receiver.url)),
    now: () => clock.now(),
  });
  try {
    const s = await saveSummary(store, clock, { run: 'harvard_1', process: 'collect' }, (s) =>
      s.incrementItems({ processed: 10, failed: 10 }),
    );
    const first = createAlerter(options());
    await first.evaluate();
    await first.close();
    assert.ok(canKeepState(store));
    const doc = await store.readState('alerts/default');
    const persisted = (doc?.value as { alerts: { state: string; pending_delivery: unknown[] }[] })
      .alerts;
    assert.deepEqual(
      persisted.map((a) => [a.state, a.pending_delivery.length]),
      [['firing', 0]],
    );

    const second = createAlerter(options());
    clock.advance(60);
    assert.equal((await second.evaluate()).notifications.length, 0, 'no duplicate firing');
    s.incrementItems({ processed: 1000, successful: 1000 });
    await store.save(s);
    clock.advance(60);
    await second.evaluate();
    await second.close();
    assert.deepEqual(
      bodies(receiver).map((b) => b.status),
      ['firing', 'resolved'],
    );
  } finally {
    await receiver.close();
  }
});

test('persisted before sending: an alerter that dies mid-delivery is followed by one that re-sends (at-least-once)', async () => {
  const receiver = await startReceiver();
  const { store, clock } = memoryStore();
  const logger = recordingLogger();
  try {
    receiver.hang = true;
    await saveSummary(store, clock, { run: 'harvard_1', process: 'collect' }, (s) =>
      s.incrementItems({ processed: 10, failed: 10 }),
    );
    const dying = createAlerter({
      store,
      rules: rules(errorRules(receiver.url, 'settings: { evaluate_every: 1h }')),
      now: () => clock.now(),
      closeTimeoutMs: 0,
    });
    await dying.start();
    // What a SIGKILL now would leave: the firing transition with its notification pending.
    const doc = await store.readState('alerts/default');
    const left = structuredClone(doc?.value) as unknown as {
      alerts: { state: string; pending_delivery: { notification: Notification }[] }[];
    };
    assert.equal(left.alerts[0]?.state, 'firing');
    assert.equal(left.alerts[0]?.pending_delivery[0]?.notification.status, 'firing');
    // The hung attempt must have reached the receiver before the close aborts it (was racy).
    await waitUntil(() => receiver.received.length > 0);
    await dying.close();
    receiver.hang = false;

    const { store: after, clock: clock2 } = memoryStore();
    clock2.set(clock.now());
    await saveSummary(after, clock2, { run: 'harvard_1', process: 'collect' }, (s) =>
      s.incrementItems({ processed: 10, failed: 10 }),
    );
    await (after as SummaryStore).writeState?.('alerts/default', left as never, null);
    const next = createAlerter({
      store: after,
      rules: rules(errorRules(receiver.url)),
      now: () => clock2.now(),
      logger,
    });
    const result = await next.evaluate();
    await next.close();
    assert.equal(result.notifications.length, 0, 'no new firing: the state says firing');
    assert.deepEqual(result.deliveries, { delivered: 1, failed: 0 }, 'the re-sent one');
    // The hung first attempt and the re-sent one reached the receiver; the re-sent one was answered.
    const delivered = receiver.received;
    assert.equal(delivered.length, 2);
    assert.equal(delivered[0]?.body, delivered[1]?.body, 'the same notification, re-sent');
    assert.ok(logger.entries.some((e) => /re-sending a notification/.test(e.message)));
    const final = await after.readState?.('alerts/default');
    const alerts = (final?.value as { alerts: { pending_delivery: unknown[] }[] }).alerts;
    assert.equal(alerts[0]?.pending_delivery.length, 0, 'recorded as delivered');
  } finally {
    await receiver.close();
  }
});

test('a store without the state capability still alerts, with a warning', async () => {
  const { clock } = memoryStore();
  const store = storeWithoutState(clock);
  const logger = recordingLogger();
  const rec = recorder();
  const alerter = createAlerter({
    store,
    rules: rules(errorRules('http://127.0.0.1:1')),
    now: () => clock.now(),
    notifiers: [rec],
    logger,
  });
  try {
    await saveSummary(store, clock, { run: 'harvard_1', process: 'collect' }, (s) =>
      s.incrementItems({ processed: 10, failed: 10 }),
    );
    await alerter.evaluate();
    await alerter.evaluate();
    assert.equal(rec.got.length, 1);
    assert.ok(
      logger.entries.some((e) => e.level === 'warn' && /kept in memory only/.test(e.message)),
    );
  } finally {
    await alerter.close();
  }
});

test('two alerters writing one state key: the conflict is merged and logged', async () => {
  const { store, clock } = memoryStore();
  const logger = recordingLogger();
  const text = `
rules:
  - { name: a, match: { run: a }, when: { status: [running] } }
  - { name: b, match: { run: b }, when: { status: [running] } }
`;
  const one = createAlerter({
    store,
    rules: rules(text),
    now: () => clock.now(),
    notifiers: [recorder()],
  });
  const two = createAlerter({
    store,
    rules: rules(text),
    now: () => clock.now(),
    notifiers: [recorder()],
    logger,
  });
  try {
    await two.evaluate(); // loads the (empty) state, nothing holds
    await saveSummary(store, clock, { run: 'a', process: 'p' });
    await one.evaluate(); // writes version 1
    await saveSummary(store, clock, { run: 'b', process: 'p' });
    await two.evaluate(); // writes against no version: E_CONFLICT, merged
    assert.ok(
      logger.entries.some((e) => e.level === 'warn' && /changed by another writer/.test(e.message)),
    );
    const doc = await store.readState?.('alerts/default');
    const rulesIn = (doc?.value as { alerts: { rule: string; run: string }[] }).alerts
      .map((a) => `${a.rule}:${a.run}`)
      .sort();
    assert.deepEqual(rulesIn, ['a:a', 'b:b'], "both alerters' alerts kept");
  } finally {
    await one.close();
    await two.close();
  }
});

test('no progress: a stalled run fires after no_progress_for; progress resolves it', async () => {
  const { store, clock } = memoryStore();
  const rec = recorder();
  const text = `
rules:
  - name: stalled
    when: { no_progress_for: 10m }
    annotations: { summary: "{{run}} made no progress for {{value}} s (last save {{silent_seconds}} s ago)" }
`;
  const alerter = createAlerter({
    store,
    rules: rules(text),
    now: () => clock.now(),
    notifiers: [rec],
  });
  try {
    const s = await saveSummary(store, clock, { run: 'r', process: 'p' }, (s) =>
      s.incrementItems({ processed: 5 }),
    );
    await alerter.evaluate();
    clock.advance(300);
    s.checkpoint();
    await store.save(s); // a save without progress
    await alerter.evaluate();
    clock.advance(299);
    await alerter.evaluate();
    assert.equal(rec.got.length, 0);
    clock.advance(1);
    await alerter.evaluate();
    assert.equal(rec.got.length, 1);
    assert.equal(
      rec.got[0]?.annotations.summary,
      'r made no progress for 600 s (last save 300 s ago)',
    );
    s.incrementItems({ processed: 1 });
    await store.save(s);
    clock.advance(1);
    await alerter.evaluate();
    assert.deepEqual(
      rec.got.map((n) => n.status),
      ['firing', 'resolved'],
    );
  } finally {
    await alerter.close();
  }
});

test('throughput below half the median of earlier runs of the same process', async () => {
  const { store, clock } = memoryStore();
  const rec = recorder();
  const text = `
rules:
  - name: slow
    match: { process: ingest }
    when: { rate_below_median_share: { share: 0.5, min_runs: 3 } }
`;
  const alerter = createAlerter({
    store,
    rules: rules(text),
    now: () => clock.now(),
    notifiers: [rec],
  });
  try {
    for (const [run, items] of [
      ['r1', 100],
      ['r2', 120],
      ['r3', 80],
    ] as const) {
      const s = await saveSummary(store, clock, { run, process: 'ingest' });
      s.incrementItems({ processed: items, successful: items });
      clock.advance(10);
      s.endProcess();
      await store.save(s);
      clock.advance(10);
    }
    await alerter.evaluate();
    assert.equal(rec.got.length, 0, 'finished runs are not judged');
    const live = await saveSummary(store, clock, { run: 'r4', process: 'ingest' });
    live.incrementItems({ processed: 40, successful: 40 });
    clock.advance(10);
    await store.save(live);
    await alerter.evaluate();
    assert.equal(rec.got.length, 1, 'rate 4/s < 0.5 × median 10/s');
    assert.equal(rec.got[0]?.run, 'r4');
  } finally {
    await alerter.close();
  }
});

test('custom metric and ETA rules through the engine; dashboard links', async () => {
  const { store, clock } = memoryStore();
  const rec = recorder();
  const deadline = new Date((clock.now() + 3600) * 1000).toISOString();
  const text = `
rules:
  - { name: queue, when: { custom_metric: { name: queue_depth, above: 100 } } }
  - { name: late, when: { eta_after: "${deadline}" } }
settings: { dashboard_url: "http://127.0.0.1:4177/base" }
`;
  const alerter = createAlerter({
    store,
    rules: rules(text),
    now: () => clock.now(),
    notifiers: [rec],
  });
  try {
    const s = await saveSummary(store, clock, { run: 'run one', process: 'p' }, (s) => {
      s.setCustomMetric('queue_depth', 150);
      s.setItemsTotal(1_000_000);
    });
    clock.advance(10);
    s.incrementItems({ processed: 10 });
    await store.save(s); // 1 item/s: the million items end long after the deadline
    await alerter.evaluate();
    const names = rec.got.map((n) => n.rule).sort();
    assert.deepEqual(names, ['late', 'queue']);
    assert.equal(rec.got[0]?.dashboard_url, 'http://127.0.0.1:4177/base/runs/run%20one/p');
  } finally {
    await alerter.close();
  }
});

test("start: evaluates at once, then follows the store's watch; a hanging receiver blocks nothing", async () => {
  const receiver = await startReceiver();
  receiver.hang = true;
  const { store, clock } = memoryStore();
  const logger = recordingLogger();
  const text = `
rules:
  - { name: failed, when: { status: [failed] } }
settings: { evaluate_every: 1h }
notifiers:
  - { type: webhook, url: "${receiver.url}", timeout: 1h }
`;
  const alerter = createAlerter({
    store,
    rules: rules(text),
    now: () => clock.now(),
    logger,
    closeTimeoutMs: 50,
    watchDelayMs: 5,
  });
  try {
    await saveSummary(store, clock, { run: 'a', process: 'p' }, (s) =>
      s.endProcess({ outcome: 'failed' }),
    );
    await alerter.start();
    assert.equal(
      [...alerter.alerts.values()].map((a) => a.state).join(),
      'firing',
      'start resolved with the delivery still hanging',
    );
    // A second failure arrives through watch while the first delivery still hangs.
    await saveSummary(store, clock, { run: 'b', process: 'p' }, (s) =>
      s.endProcess({ outcome: 'failed' }),
    );
    await waitUntil(() => alerter.alerts.size >= 2);
    assert.equal(alerter.alerts.size, 2);
    await waitUntil(() => receiver.received.length >= 2);
    assert.equal(receiver.received.length, 2, 'both sent, neither answered');
  } finally {
    await alerter.close();
    await receiver.close();
  }
  assert.ok(
    logger.entries.some((e) => e.level === 'error'),
    'the abandoned deliveries are logged',
  );
});

test('refreshing notifiers (Alertmanager) get a firing alert again every refresh interval', async () => {
  const { store, clock } = memoryStore();
  const rec = recorder();
  const am = { ...recorder('am'), refreshSeconds: 60 };
  const alerter = createAlerter({
    store,
    rules: rules(errorRules('http://127.0.0.1:1')),
    now: () => clock.now(),
    notifiers: [rec, am],
  });
  try {
    await saveSummary(store, clock, { run: 'harvard_1', process: 'collect' }, (s) =>
      s.incrementItems({ processed: 1, failed: 1 }),
    );
    for (let i = 0; i < 5; i += 1) {
      await alerter.evaluate();
      clock.advance(30);
    }
    assert.equal(rec.got.length, 1);
    assert.equal(am.got.length, 3, 'at 0, 60 and 120 s');
  } finally {
    await alerter.close();
  }
});

test('a store with readMany is read in one call per chunk', async () => {
  const { store, clock } = memoryStore();
  const rec = recorder();
  let calls = 0;
  let reads = 0;
  const read = store.read.bind(store);
  store.read = async (...args) => {
    reads += 1;
    return read(...args);
  };
  (store as SummaryStore).readMany = async (refs) => {
    calls += 1;
    return Promise.all(refs.map((ref) => read(ref)));
  };
  const alerter = createAlerter({
    store,
    rules: rules(errorRules('http://127.0.0.1:1')),
    now: () => clock.now(),
    notifiers: [rec],
  });
  try {
    for (let i = 0; i < 5; i += 1) {
      await saveSummary(store, clock, { run: `harvard_${i}`, process: 'collect' }, (s) =>
        s.incrementItems({ processed: 1, failed: i % 2 }),
      );
    }
    const result = await alerter.evaluate();
    assert.equal(result.summaries, 5);
    assert.equal(calls, 1);
    assert.equal(reads, 0);
    assert.deepEqual(
      rec.got.map((n) => n.run),
      ['harvard_1', 'harvard_3'],
    );
  } finally {
    await alerter.close();
  }
});

test('the state is recorded after delivery (logged); an alerter closed before loading writes nothing; a failed load is retried', async () => {
  const { store, clock } = memoryStore();
  const logger = recordingLogger();
  const alerter = createAlerter({
    store,
    rules: rules(errorRules('http://127.0.0.1:1')),
    now: () => clock.now(),
    notifiers: [recorder()],
    logger,
  });
  await saveSummary(store, clock, { run: 'harvard_1', process: 'collect' }, (s) =>
    s.incrementItems({ processed: 1, failed: 1 }),
  );
  await alerter.evaluate();
  await alerter.close();
  assert.ok(
    logger.entries.some(
      (e) => e.message === 'alerts: delivery recorded' && e.fields.outcome === 'delivered',
    ),
  );
  const before = await store.readState('alerts/default');
  const idle = createAlerter({
    store,
    rules: rules(errorRules('http://127.0.0.1:1')),
    now: () => clock.now(),
    notifiers: [recorder()],
  });
  await idle.close();
  assert.deepEqual(await store.readState('alerts/default'), before, 'untouched');

  const readState = store.readState.bind(store);
  let failures = 1;
  store.readState = async (key) => {
    if (failures-- > 0) throw new Error('database restarting');
    return readState(key);
  };
  const rec = recorder();
  const retried = createAlerter({
    store,
    rules: rules(errorRules('http://127.0.0.1:1')),
    now: () => clock.now(),
    notifiers: [rec],
  });
  try {
    assert.match((await caught(() => retried.evaluate())).message, /database restarting/);
    const result = await retried.evaluate();
    assert.equal(result.firing, 1);
    assert.equal(rec.got.length, 0, 'loaded: already firing, nothing re-sent');
  } finally {
    await retried.close();
  }
});

test('a notifier that always fails: evaluate resolves, the failure is logged and counted, the alert stays firing', async () => {
  const { store, clock } = memoryStore();
  const logger = recordingLogger();
  const broken: Notifier = {
    name: 'broken',
    maxAttempts: 3,
    async send() {
      throw new Error('connect ECONNREFUSED');
    },
  };
  const slept: number[] = [];
  const alerter = createAlerter({
    store,
    rules: rules(errorRules('http://127.0.0.1:1')),
    now: () => clock.now(),
    notifiers: [broken],
    logger,
    retry: { sleep: async (ms) => void slept.push(ms), random: () => 0.5 },
  });
  try {
    await saveSummary(store, clock, { run: 'harvard_1', process: 'collect' }, (s) =>
      s.incrementItems({ processed: 1, failed: 1 }),
    );
    const result = await alerter.evaluate();
    assert.deepEqual(result.deliveries, { delivered: 0, failed: 1 });
    assert.deepEqual(slept, [500, 1000]);
    assert.ok(
      logger.entries.some(
        (e) => e.level === 'error' && /not delivered to broken after 3 attempt/.test(e.message),
      ),
    );
    assert.equal([...alerter.alerts.values()][0]?.state, 'firing');
    assert.equal(
      [...alerter.alerts.values()][0]?.pending_delivery.length,
      0,
      'given up, not re-sent forever',
    );
  } finally {
    await alerter.close();
  }
});

test('start rejects when the store cannot be listed, leaving nothing running', async () => {
  const { store, clock } = memoryStore();
  store.list = async () => {
    throw new Error('no such database');
  };
  const alerter = createAlerter({
    store,
    rules: rules(errorRules('http://127.0.0.1:1')),
    now: () => clock.now(),
    notifiers: [],
  });
  assert.match((await caught(() => alerter.start())).message, /no such database/);
  await alerter.close();
});

test('options are checked before anything is read', async () => {
  const { store } = memoryStore();
  const ok = rules('rules: []');
  const cases: unknown[] = [
    null,
    { store: {}, rules: ok },
    { store, rules: {} },
    { store, rules: ok, stateKey: '../x' },
    { store, rules: ok, stateKey: 'A/B' },
    { store, rules: ok, logger: { info() {} } },
    { store, rules: ok, notifiers: [recorder('x'), recorder('x')] },
    { store, rules: ok, closeTimeoutMs: -1 },
    { store, rules: ok, watchDelayMs: Number.NaN },
    { store, rules: ok, maxQueuedDeliveries: 0 },
  ];
  for (const options of cases) {
    const err = await caught(() => createAlerter(options as AlerterOptions));
    assert.equal(err.code, 'E_INVALID_ARGUMENT', JSON.stringify(options));
  }
  const alerter = createAlerter({ store, rules: ok });
  await alerter.close();
  await alerter.close();
  assert.equal((await caught(() => alerter.evaluate())).code, 'E_INVALID_STATE');
  assert.equal((await caught(() => alerter.start())).code, 'E_INVALID_STATE');
});

test('over a file store: a restarted alerter (a new store object on the same root) neither repeats nor misses the resolve', async () => {
  const receiver = await startReceiver();
  const root = await mkdtemp(join(tmpdir(), 'alerts-fs-'));
  const clock = createManualClock(T0);
  try {
    const writer = new FileSummaryStore({ root, clock });
    const s = await saveSummary(writer, clock, { run: 'harvard_1', process: 'collect' }, (s) =>
      s.incrementItems({ processed: 10, failed: 10 }),
    );
    const run = async (stateKey: string) => {
      const alerter = createAlerter({
        store: new FileSummaryStore({ root, clock }),
        rules: rules(errorRules(receiver.url)),
        now: () => clock.now(),
        stateKey,
      });
      const result = await alerter.evaluate();
      await alerter.close();
      return result.notifications.map((n) => n.status);
    };
    assert.deepEqual(await run('alerts/night'), ['firing']);
    clock.advance(60);
    assert.deepEqual(await run('alerts/night'), []);
    assert.deepEqual(await run('alerts/other'), ['firing'], 'another key is another alerter');
    s.incrementItems({ processed: 1000, successful: 1000 });
    await writer.save(s);
    clock.advance(60);
    assert.deepEqual(await run('alerts/night'), ['resolved']);
    assert.deepEqual(await run('alerts/night'), []);
    assert.deepEqual(
      bodies(receiver).map((b) => b.status),
      ['firing', 'firing', 'resolved'],
    );
  } finally {
    await receiver.close();
    await rm(root, { recursive: true, force: true });
  }
});

test.run();
