/**
 * The command notifier with real child processes: done when the program exits (a helper it
 * leaves in the background does not hold the delivery), its whole process group killed at the
 * timeout, environment values capped.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import { createAlerter } from '../src/alerter.js';
import type { Notification } from '../src/notification.js';
import { commandEnvFor, commandNotifier, MAX_ENV_VALUE } from '../src/notifiers/command.js';
import { parseRules } from '../src/rules.js';
import { memoryStore, saveSummary } from './_kit.js';

const failing = (notifiers: string) => `
rules:
  - name: errors
    match: { run: "harvard_*", process: collect }
    when: { error_rate_percent: { above: 5 } }
notifiers:
${notifiers}
`;

test('a command that exits 0 leaving a background helper holding stderr is delivered; evaluate() does not hang', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'review-alert-cmd-'));
  const pidFile = join(dir, 'helper.pid');
  const { store, clock } = memoryStore();
  const alerter = createAlerter({
    store,
    rules: parseRules(
      failing(
        `  - { type: command, argv: ["/bin/sh", "-c", 'sleep 3600 & echo $! > "$0"; exit 0', "${pidFile}"], timeout: 10s, max_attempts: 1 }`,
      ),
      { format: 'yaml', source: 'rules.yaml', baseDir: dir },
    ),
    now: () => clock.now(),
    closeTimeoutMs: 100,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await saveSummary(store, clock, { run: 'harvard_1', process: 'collect' }, (s) =>
      s.incrementItems({ processed: 10, failed: 10 }),
    );
    // A generous bound so the test ends; the assertion is on the outcome, not the time.
    const outcome = await Promise.race([
      alerter.evaluate().then((r) => r.deliveries),
      new Promise<'hung'>((resolve) => {
        timer = setTimeout(() => resolve('hung'), 20_000);
      }),
    ]);
    assert.deepEqual(outcome, { delivered: 1, failed: 0 });
  } finally {
    clearTimeout(timer);
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await alerter.close();
    await rm(dir, { recursive: true, force: true });
  }
});

function notification(summary: string): Notification {
  return {
    status: 'firing',
    rule: 'r',
    severity: 'warning',
    run: 'harvard_1',
    process: 'collect',
    worker: null,
    labels: {},
    annotations: { summary },
    starts_at: '2026-05-28T10:00:00.000Z',
    ends_at: null,
    value: 1,
    fingerprint: '0123456789abcdef',
    dashboard_url: null,
  };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('the timeout kills the command and what it started in the background (its process group)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'alert-cmd-group-'));
  const pidFile = join(dir, 'helper.pid');
  let pid = 0;
  try {
    const notifier = commandNotifier({
      name: 'cmd',
      argv: ['/bin/sh', '-c', 'sleep 3600 & echo $! > "$0"; sleep 3600', pidFile],
    });
    const controller = new AbortController();
    const sending = notifier.send(notification('s'), controller.signal);
    for (let i = 0; i < 250 && pid === 0; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) || 0;
    }
    assert.ok(pid > 0, 'the helper started');
    controller.abort(); // what the per-attempt timeout does
    await assert.rejects(sending, /killed/);
    for (let i = 0; i < 250 && alive(pid); i += 1) await new Promise((r) => setTimeout(r, 20));
    assert.equal(alive(pid), false, 'the background helper was killed with its parent');
  } finally {
    if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

test('an annotation larger than an environment string may be is capped in the environment (the page still goes out), whole on stdin', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'alert-cmd-env-'));
  try {
    const big = 'x'.repeat(200 * 1024);
    const env = commandEnvFor(notification(big));
    assert.ok((env.PROCESS_SUMMARY_ALERT_SUMMARY ?? '').length <= MAX_ENV_VALUE);
    const out = join(dir, 'out');
    const notifier = commandNotifier({
      name: 'cmd',
      argv: [
        '/bin/sh',
        '-c',
        'cat > "$0"; printf %s "$PROCESS_SUMMARY_ALERT_SUMMARY" > "$0.env"',
        out,
      ],
    });
    await notifier.send(notification(big), AbortSignal.timeout(20_000));
    const stdin = JSON.parse(await readFile(out, 'utf8')) as Notification;
    assert.equal(stdin.annotations.summary, big, 'the whole notification on stdin');
    const fromEnv = await readFile(`${out}.env`, 'utf8');
    assert.ok(fromEnv.length > 0 && fromEnv.length <= MAX_ENV_VALUE * 3);
    assert.ok(fromEnv.startsWith('xxxx'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
