import { join } from 'node:path';
import { canKeepState, type SummaryStore } from '@process-summary/core';
import { type Child, type Receiver, startReceiver } from '@process-summary/test-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
// The store's own test helper: a store in a schema of its own, dropped afterwards.
import { freshStore } from '../../store-pg/test/_helpers.js';
import {
  fileStore,
  killChild,
  own,
  sleep,
  startAlerterChild,
  tempDir,
  writeRules,
} from './_e2e.ts';

const RUN = 'harvard_2024';
const STATE_KEY = 'alerts/e2e';

const statusOf = (json: unknown) => (json as { status?: unknown } | undefined)?.status;

/**
 * Fires through an alerter child, SIGKILLs it once the firing was received and recorded, starts
 * another over the same store: it must not fire again, and must send the resolve.
 */
async function killBetweenFiringAndResolve(
  store: SummaryStore,
  storeSpec: string,
  dir: string,
): Promise<void> {
  const hook: Receiver = await startReceiver();
  const rulesPath = writeRules(dir, {
    settings: { evaluate_every: '1s' },
    rules: [
      {
        name: 'too-many-errors',
        match: { run: RUN, process: 'collect' },
        when: { error_rate_percent: { above: 5 } },
        severity: 'critical',
        annotations: { summary: '{{run}}/{{process}}: {{error_rate_percent}}% errors' },
      },
    ],
    notifiers: [{ type: 'webhook', url: `${hook.url}/hook` }],
  });
  const run = await own(store, { runName: RUN, processName: 'collect' });
  const children: Child[] = [];
  try {
    run.summary.incrementItems({ processed: 100, successful: 80, failed: 20 });
    await run.save();
    const first = startAlerterChild(storeSpec, rulesPath, STATE_KEY);
    children.push(first);
    await hook.waitFor((r) => statusOf(r.json) === 'firing');
    await sentRecorded(store);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = startAlerterChild(storeSpec, rulesPath, STATE_KEY);
    children.push(second);
    await second.waitFor('started');
    // Several evaluations of the restarted alerter while the alert still holds.
    await sleep(3000);
    assert.equal(
      hook.requests.map((r) => statusOf(r.json)),
      ['firing'],
      `no second firing after the restart; stderr: ${second.stderr()}`,
    );

    run.summary.incrementItems({ processed: 1000, successful: 1000 });
    await run.save();
    const resolved = await hook.waitFor((r) => statusOf(r.json) === 'resolved');
    const fingerprint = (json: unknown) =>
      (json as { alerts: { fingerprint: string }[] }).alerts[0]?.fingerprint;
    assert.is(fingerprint(resolved.json), fingerprint(hook.requests[0]?.json));
    assert.equal(
      hook.requests.map((r) => statusOf(r.json)),
      ['firing', 'resolved'],
    );
  } finally {
    for (const child of children) await killChild(child);
    await run.release().catch(() => {});
    await hook.close();
  }
}

/**
 * Waits until the alert state in the store records the firing as delivered (firing, nothing
 * left in `pending_delivery`): the alerter persists a notification before sending it and clears
 * it once accepted, and a kill before that clears it re-sends it (at least once, by design).
 */
async function sentRecorded(store: SummaryStore): Promise<void> {
  if (!canKeepState(store)) throw new Error('the store keeps no state');
  for (let waited = 0; waited < 20_000; waited += 50) {
    const doc = await store.readState(STATE_KEY);
    const text = doc === null ? '' : JSON.stringify(doc.value);
    if (/"state":"firing"/.test(text) && !/"pending_delivery":\[\{/.test(text)) return;
    await sleep(50);
  }
  throw new Error('the alert state never recorded the firing as delivered');
}

test('SIGKILL between firing and resolve, over the file store: no second firing, the resolve arrives', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const root = join(dir, 'runs');
    await killBetweenFiringAndResolve(fileStore(root), root, dir);
  } finally {
    cleanup();
  }
});

test('SIGKILL between firing and resolve, over PostgreSQL: no second firing, the resolve arrives', async () => {
  const { dir, cleanup } = tempDir();
  const { store, url, schema, drop } = await freshStore();
  try {
    await killBetweenFiringAndResolve(store, `${url}#${schema}`, dir);
  } finally {
    await drop();
    cleanup();
  }
});

test.run();
