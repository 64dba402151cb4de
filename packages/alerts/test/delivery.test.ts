import { strict as assert } from 'node:assert';
import { test } from 'uvu';
import { backoffMs, DeliveryQueue, deliver } from '../src/delivery.js';
import type { Notification, Notifier } from '../src/notification.js';
import { webhookNotifier } from '../src/notifiers/webhook.js';
import { instantSleep, recordingLogger, startReceiver } from './_kit.js';

function notification(fingerprint = 'f1', status: Notification['status'] = 'firing'): Notification {
  return {
    status,
    rule: 'r',
    severity: 'warning',
    run: 'run',
    process: 'p',
    worker: null,
    labels: {},
    annotations: {},
    starts_at: '2026-05-28T10:00:00.000Z',
    ends_at: null,
    value: null,
    fingerprint,
  };
}

test('a receiver answering 500 twice then 200 gets the notification once it recovers, after backoff', async () => {
  const receiver = await startReceiver();
  try {
    receiver.statuses.push(500, 500);
    const logger = recordingLogger();
    const { sleep, slept } = instantSleep();
    const ok = await deliver(
      webhookNotifier({ name: 'w', url: receiver.url, secret: null }),
      notification(),
      {
        logger,
        signal: new AbortController().signal,
        sleep,
        random: () => 0.5,
      },
    );
    assert.equal(ok, true);
    assert.equal(receiver.received.length, 3);
    assert.equal(
      new Set(receiver.received.map((r) => r.body)).size,
      1,
      'the same body each attempt',
    );
    assert.deepEqual(slept, [500, 1000], 'full jitter of 1 s then 2 s');
    assert.deepEqual(
      logger.entries.map((e) => e.level),
      ['warn', 'warn', 'info'],
    );
  } finally {
    await receiver.close();
  }
});

test('backoff: exponential ceilings capped, full jitter', () => {
  const ceilings = [1, 2, 3, 4, 5, 6, 7, 8].map((a) =>
    backoffMs(a, { baseDelayMs: 1000, maxDelayMs: 30_000 }, () => 0.999_999),
  );
  assert.deepEqual(ceilings, [999, 1999, 3999, 7999, 15_999, 29_999, 29_999, 29_999]);
  assert.equal(
    backoffMs(3, {}, () => 0),
    0,
  );
});

test('a delivery that keeps failing is logged after max attempts and never throws', async () => {
  const logger = recordingLogger();
  let calls = 0;
  const broken: Notifier = {
    name: 'broken',
    maxAttempts: 4,
    async send() {
      calls += 1;
      throw new Error('connection refused');
    },
  };
  const { sleep, slept } = instantSleep();
  const ok = await deliver(broken, notification(), {
    logger,
    signal: new AbortController().signal,
    sleep,
    random: () => 0,
  });
  assert.equal(ok, false);
  assert.equal(calls, 4);
  assert.equal(slept.length, 3);
  const last = logger.entries[logger.entries.length - 1];
  assert.equal(last?.level, 'error');
  assert.match(
    last?.message ?? '',
    /not delivered to broken after 4 attempt\(s\): connection refused/,
  );
});

test('a 4xx answer is not retried', async () => {
  const receiver = await startReceiver();
  try {
    receiver.statuses.push(400);
    const logger = recordingLogger();
    const { sleep } = instantSleep();
    const ok = await deliver(
      webhookNotifier({ name: 'w', url: receiver.url, secret: null }),
      notification(),
      {
        logger,
        signal: new AbortController().signal,
        sleep,
      },
    );
    assert.equal(ok, false);
    assert.equal(receiver.received.length, 1);
  } finally {
    await receiver.close();
  }
});

test('an attempt that hangs is cut by its timeout and retried', async () => {
  const receiver = await startReceiver();
  try {
    receiver.hang = true;
    const logger = recordingLogger();
    const hook = {
      ...webhookNotifier({ name: 'w', url: receiver.url, secret: null }),
      // Long enough for each attempt to reach the receiver on a loaded machine (it is counted
      // there), short enough to be the end of a hanging one.
      timeoutSeconds: 2,
      maxAttempts: 2,
    };
    const ok = await deliver(hook, notification(), {
      logger,
      signal: new AbortController().signal,
      sleep: instantSleep().sleep,
    });
    assert.equal(ok, false);
    assert.equal(receiver.received.length, 2);
    assert.ok(logger.entries.some((e) => e.level === 'error'));
  } finally {
    await receiver.close();
  }
});

test('the queue keeps order per alert, bounds its length (a reminder dropped first, a transition refused, never dropped; logged) and settles every job', async () => {
  const logger = recordingLogger();
  const sent: string[] = [];
  const gates: (() => void)[] = [];
  const slow: Notifier = {
    name: 'slow',
    send: (n) =>
      new Promise<void>((resolve) => {
        gates.push(() => {
          sent.push(`${n.fingerprint}:${n.status}`);
          resolve();
        });
      }),
  };
  const settled: string[] = [];
  const queue = new DeliveryQueue({
    logger,
    maxQueued: 2,
    concurrencyPerNotifier: 1,
    onSettled: (job, outcome) =>
      settled.push(`${job.notification.fingerprint}:${job.notification.status}:${outcome}`),
  });
  assert.equal(queue.enqueue({ notifier: slow, notification: notification('a') }), true);
  assert.equal(
    queue.enqueue({ notifier: slow, notification: notification('a', 'resolved') }),
    true,
  );
  assert.equal(
    queue.enqueue({ notifier: slow, notification: notification('b'), droppable: true }),
    true,
  );
  assert.equal(queue.enqueue({ notifier: slow, notification: notification('c') }), true);
  // a is in flight; b (a repeat) was the only droppable waiting job: dropped, not a:resolved.
  assert.deepEqual(settled, ['b:firing:dropped']);
  assert.match(logger.entries[0]?.message ?? '', /queue full/);
  // Full of transitions: a new one is refused (its owner keeps it), nothing is dropped.
  assert.equal(queue.enqueue({ notifier: slow, notification: notification('d') }), false);
  assert.deepEqual(settled, ['b:firing:dropped']);
  while (queue.size > 0) {
    await new Promise((r) => setImmediate(r));
    gates.shift()?.();
  }
  await queue.idle();
  assert.deepEqual(sent, ['a:firing', 'a:resolved', 'c:firing']);
  assert.deepEqual(settled, [
    'b:firing:dropped',
    'a:firing:delivered',
    'a:resolved:delivered',
    'c:firing:delivered',
  ]);
});

test('a resolve never overtakes its firing, even with several deliveries in flight', async () => {
  const logger = recordingLogger();
  const order: string[] = [];
  const gates = new Map<string, () => void>();
  const notifier: Notifier = {
    name: 'n',
    send: (n) =>
      new Promise<void>((resolve) => {
        gates.set(`${n.fingerprint}:${n.status}`, () => {
          order.push(`${n.fingerprint}:${n.status}`);
          resolve();
        });
      }),
  };
  const queue = new DeliveryQueue({ logger, concurrencyPerNotifier: 4 });
  queue.enqueue({ notifier, notification: notification('a') });
  queue.enqueue({ notifier, notification: notification('a', 'resolved') });
  queue.enqueue({ notifier, notification: notification('b') });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([...gates.keys()].sort(), ['a:firing', 'b:firing'], 'the resolve of a waits');
  gates.get('b:firing')?.();
  gates.get('a:firing')?.();
  await new Promise((r) => setImmediate(r));
  gates.get('a:resolved')?.();
  await queue.idle();
  assert.deepEqual(order, ['b:firing', 'a:firing', 'a:resolved']);
});

test('close waits a bounded time, then aborts what hangs', async () => {
  const logger = recordingLogger();
  const never: Notifier = {
    name: 'never',
    send: (_n, signal) =>
      new Promise<void>((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(new Error('aborted')));
      }),
    timeoutSeconds: 3600,
  };
  const outcomes: string[] = [];
  const queue = new DeliveryQueue({ logger, onSettled: (_j, o) => outcomes.push(o) });
  queue.enqueue({ notifier: never, notification: notification() });
  await queue.close(50);
  // Aborted, not given up: the alerter keeps it to be sent again after a restart.
  assert.deepEqual(outcomes, ['aborted']);
  queue.enqueue({ notifier: never, notification: notification('late') });
  assert.deepEqual(outcomes, ['aborted', 'dropped']);
});

test.run();
