/**
 * Review of delivery as a receiver sees it: real HTTP receivers on 127.0.0.1 and real child
 * processes. Each test fails now because of a defect named in REVIEW-ALERTS.md.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import { createAlerter } from '../src/alerter.js';
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
        `  - { type: command, argv: ["/bin/sh", "-c", 'sleep 3600 & echo $! > "$0"; exit 0', "${pidFile}"], timeout: 1s, max_attempts: 1 }`,
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

test.run();
