/**
 * The notifications the README shows, as the receivers got them: a webhook (signed) and a
 * Slack incoming webhook, each sent a firing and a resolved notification through real HTTP, at
 * a fixed time (an injected clock), so the same run gives the same bytes.
 *
 * Written to packages/alerts/docs/ only with `UPDATE_EXAMPLES=1` (`UPDATE_EXAMPLES=1 pnpm test`
 * in this package); otherwise compared with what is there, and the README must quote each file
 * as it is: a change of format that the README does not show fails here.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createManualClock, ProcessSummary } from '@process-summary/core';
import { type ReceivedRequest, startReceiver } from '@process-summary/test-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAlerter, loadRulesFile } from '../src/index.js';
import { fileStore, packageDir, tempDir, writeRules } from './_e2e.ts';

const update = process.env.UPDATE_EXAMPLES === '1';
const docs = join(packageDir, 'docs');
/** 2024-06-15T03:12:00Z: the 3 a.m. of the issue. */
const START = Date.UTC(2024, 5, 15, 3, 12, 0) / 1000;

/** What the README shows of a request: the method, the headers that matter, the body. */
function asReceived(request: ReceivedRequest): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'x-process-summary-signature']) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return { request: `${request.method} ${request.path}`, headers, body: request.json };
}

test('the README shows the firing and resolved notifications exactly as the receivers got them', async () => {
  const { dir, cleanup } = tempDir();
  const hook = await startReceiver();
  const slack = await startReceiver();
  writeFileSync(join(dir, 'hook.secret'), 'change-me\n', { mode: 0o600 });
  const rulesPath = writeRules(dir, {
    settings: { dashboard_url: 'http://127.0.0.1:4177/' },
    rules: [
      {
        name: 'too-many-errors',
        match: { run: 'harvard_*', process: 'collect' },
        when: { error_rate_percent: { above: 5 } },
        for: '2m',
        severity: 'critical',
        labels: { team: 'digitization' },
        annotations: {
          summary: '{{run}}/{{process}}: {{error_rate_percent}}% errors',
          description: '{{items_failed}} of {{items_processed}} items failed',
        },
      },
    ],
    notifiers: [
      { type: 'webhook', url: `${hook.url}/hook`, secret_file: 'hook.secret' },
      { type: 'slack', url: `${slack.url}/services/T0000/B0000/XXXXXXXX` },
    ],
  });
  const clock = createManualClock(START);
  const store = fileStore(join(dir, 'runs'));
  const alerter = createAlerter({
    store,
    rules: await loadRulesFile(rulesPath),
    now: () => clock.now(),
  });
  const ref = { runName: 'harvard_2024', processName: 'collect' };
  const { lease } = await store.acquire(ref);
  const summary = new ProcessSummary({ ...ref, clock });
  try {
    summary.startProcess();
    summary.setItemsTotal(120_000);
    summary.incrementItems({ processed: 9_000, successful: 8_100, failed: 900 });
    summary.addError('NetworkError', 'Connection timeout');
    await store.save(summary, lease);
    await alerter.evaluate(); // pending
    clock.advance(150);
    await alerter.evaluate(); // held 2m: fires
    clock.advance(600);
    summary.incrementItems({ processed: 40_000, successful: 40_000 });
    await store.save(summary, lease);
    await alerter.evaluate(); // resolved
    assert.equal(
      hook.requests.map((r) => (r.json as { status: string }).status),
      ['firing', 'resolved'],
    );
    assert.is(slack.requests.length, 2);

    if (update) mkdirSync(docs, { recursive: true });
    const texts: [string, string][] = [];
    const captured: [string, ReceivedRequest][] = [
      ['webhook-firing.json', hook.requests[0] as ReceivedRequest],
      ['webhook-resolved.json', hook.requests[1] as ReceivedRequest],
      ['slack-firing.json', slack.requests[0] as ReceivedRequest],
      ['slack-resolved.json', slack.requests[1] as ReceivedRequest],
    ];
    for (const [name, request] of captured) {
      const text = `${JSON.stringify(asReceived(request), null, 2)}\n`;
      if (update) writeFileSync(join(docs, name), text);
      texts.push([name, text]);
    }
    const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
    for (const [name, text] of texts) {
      assert.fixture(readFileSync(join(docs, name), 'utf8'), text, `${name} is what was received`);
      assert.ok(readme.includes(text.trimEnd()), `the README quotes docs/${name} as it is`);
    }
  } finally {
    await alerter.close();
    await store.release(lease);
    await hook.close();
    await slack.close();
    cleanup();
  }
});

test.run();
