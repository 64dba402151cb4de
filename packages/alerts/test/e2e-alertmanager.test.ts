import { join } from 'node:path';
import { startAlertmanager, startReceiver, waitUntil } from '@process-summary/test-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAlerter, loadRulesFile } from '../src/index.js';
import { fileStore, own, tempDir, writeRules } from './_e2e.ts';

const RUN = 'harvard_2024';

interface AmNotification {
  status: string;
  alerts: { status: string; labels: Record<string, string> }[];
}

test('a real Alertmanager shows the alert active with our labels while firing, and resolves it after', async () => {
  const { dir, cleanup } = tempDir();
  // Alertmanager's own webhook: what it sends on shows how it understood our alerts.
  const routed = await startReceiver();
  const am = await startAlertmanager({ webhookUrl: `${routed.url}/am` });
  const rulesPath = writeRules(dir, {
    rules: [
      {
        name: 'too-many-errors',
        match: { run: 'harvard_*', process: 'collect' },
        when: { error_rate_percent: { above: 5 } },
        severity: 'critical',
        labels: { team: 'digitization' },
        annotations: { summary: '{{run}}/{{process}}: {{error_rate_percent}}% errors' },
      },
    ],
    notifiers: [{ type: 'alertmanager', url: am.url }],
  });
  const store = fileStore(join(dir, 'runs'));
  const alerter = createAlerter({ store, rules: await loadRulesFile(rulesPath) });
  const run = await own(store, { runName: RUN, processName: 'collect' });
  try {
    run.summary.incrementItems({ processed: 100, successful: 90, failed: 10 });
    await run.save();
    await alerter.evaluate();
    const ours = async () =>
      (await am.alerts()).filter((a) => a.labels.alertname === 'too-many-errors');
    const active = await ours();
    assert.is(active.length, 1, `one alert in ${JSON.stringify(await am.alerts())}`);
    const alert = active[0] as (typeof active)[number];
    assert.is(alert.status.state, 'active');
    assert.is(alert.labels.run, RUN);
    assert.is(alert.labels.process, 'collect');
    assert.is(alert.labels.severity, 'critical');
    assert.is(alert.labels.team, 'digitization');
    assert.is(alert.annotations.summary, `${RUN}/collect: 10% errors`);
    assert.ok(Date.parse(alert.endsAt) > Date.now(), 'not ended');
    // Alertmanager routed it: its receiver was told it fires.
    const fired = await routed.waitFor((r) => (r.json as AmNotification).status === 'firing');
    assert.is((fired.json as AmNotification).alerts[0]?.labels.run, RUN);

    run.summary.incrementItems({ processed: 1000, successful: 1000 });
    await run.save();
    await alerter.evaluate();
    // Resolved alerts leave GET /api/v2/alerts (it lists those not ended), and Alertmanager
    // tells its receiver the group resolved.
    await waitUntil(async () => (await ours()).length === 0, 30_000);
    const resolved = await routed.waitFor((r) => (r.json as AmNotification).status === 'resolved');
    const resolvedAlert = (resolved.json as AmNotification).alerts[0];
    assert.is(resolvedAlert?.status, 'resolved');
    assert.is(resolvedAlert?.labels.alertname, 'too-many-errors');
    assert.is(resolvedAlert?.labels.run, RUN);
  } finally {
    await alerter.close();
    await run.release();
    await am.stop();
    await routed.close();
    cleanup();
  }
});

test.run();
