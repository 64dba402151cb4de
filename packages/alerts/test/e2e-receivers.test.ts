import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ReceivedRequest, startReceiver } from '@process-summary/test-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAlerter, loadRulesFile } from '../src/index.js';
import { fileStore, own, tempDir, writeRules } from './_e2e.ts';

const RUN = 'harvard_2024';
const SECRET = 'correct horse battery staple';

const statusOf = (r: ReceivedRequest) => (r.json as { status?: unknown } | undefined)?.status;
/** The one notification of a webhook body (`{ version, status, alerts: [notification] }`). */
const alertOf = (r: ReceivedRequest) =>
  (r.json as { alerts: Record<string, unknown>[] }).alerts[0] as Record<string, unknown>;

test('webhook and Slack: crossing the error threshold is sent once as firing, the recovery once as resolved', async () => {
  const { dir, cleanup } = tempDir();
  const hook = await startReceiver();
  const slack = await startReceiver();
  writeFileSync(join(dir, 'hook.secret'), `${SECRET}\n`, { mode: 0o600 });
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
    notifiers: [
      { type: 'webhook', url: `${hook.url}/hook`, secret_file: 'hook.secret' },
      { type: 'slack', url: `${slack.url}/services/T0/B0/X` },
    ],
  });
  const store = fileStore(join(dir, 'runs'));
  const alerter = createAlerter({ store, rules: await loadRulesFile(rulesPath) });
  const run = await own(store, { runName: RUN, processName: 'collect' });
  try {
    run.summary.incrementItems({ processed: 100, successful: 100 });
    await run.save();
    await alerter.evaluate();
    assert.equal(hook.requests, [], 'under the threshold: nothing sent');
    assert.equal(slack.requests, []);

    run.summary.incrementItems({ processed: 20, failed: 20 });
    await run.save();
    await alerter.evaluate();
    await alerter.evaluate();
    await alerter.evaluate();
    assert.is(hook.requests.length, 1, 'one firing to the webhook, however many evaluations');
    assert.is(slack.requests.length, 1, 'one firing to Slack');
    const firing = hook.requests[0] as ReceivedRequest;
    assert.is(statusOf(firing), 'firing');
    assert.is(firing.method, 'POST');
    assert.match(String(firing.headers['content-type']), /^application\/json/);
    const envelope = firing.json as { version: string; alerts: Record<string, unknown>[] };
    assert.is(envelope.version, '1');
    assert.is(envelope.alerts.length, 1);
    const body = envelope.alerts[0] as Record<string, unknown>;
    assert.is(body.status, 'firing');
    assert.is(body.rule, 'too-many-errors');
    assert.is(body.run, RUN);
    assert.is(body.process, 'collect');
    assert.is(body.severity, 'critical');
    assert.equal(body.labels, { team: 'digitization' });
    assert.equal(body.annotations, { summary: `${RUN}/collect: 16.67% errors` });
    assert.is(body.ends_at, null);

    run.summary.incrementItems({ processed: 1000, successful: 1000 });
    await run.save();
    await alerter.evaluate();
    await alerter.evaluate();
    assert.equal(hook.requests.map(statusOf), ['firing', 'resolved']);
    assert.is(slack.requests.length, 2, 'one resolved to Slack');
    const resolved = alertOf(hook.requests[1] as ReceivedRequest);
    assert.is(resolved.status, 'resolved');
    assert.is(resolved.fingerprint, body.fingerprint, 'the resolve names the alert that fired');
    assert.is(resolved.starts_at, body.starts_at);
    assert.type(resolved.ends_at, 'string');

    // Every webhook request is signed over its exact bytes with the secret (not its newline).
    for (const request of hook.requests) {
      const expected = createHmac('sha256', SECRET).update(request.body).digest('hex');
      const header = signatureHeader(request);
      assert.ok(header !== null, `a signature header in ${JSON.stringify(request.headers)}`);
      assert.is(header, `sha256=${expected}`);
    }
    // Slack: its own format (text and blocks), firing then resolved.
    const [slackFiring, slackResolved] = slack.requests.map((r) => r.json as { text?: string }) as [
      { text?: string },
      { text?: string },
    ];
    assert.match(String(slackFiring.text), /too-many-errors/);
    assert.match(String(slackFiring.text), new RegExp(RUN));
    assert.match(String(slackResolved.text), /resolved/i);
    assert.is(slack.requests[0]?.path, '/services/T0/B0/X');
  } finally {
    await alerter.close();
    await run.release();
    await hook.close();
    await slack.close();
    cleanup();
  }
});

/** The signature header's value (the README documents it). */
function signatureHeader(request: ReceivedRequest): string | null {
  const value = request.headers['x-process-summary-signature'];
  return typeof value === 'string' ? value : null;
}

test('a receiver answering 500 twice then 200 gets the alert once it recovers, and only once', async () => {
  const { dir, cleanup } = tempDir();
  const hook = await startReceiver({ statuses: [500, 500] });
  const rulesPath = writeRules(dir, {
    rules: [
      {
        name: 'run-failed',
        when: { status: ['failed'] },
        severity: 'critical',
        annotations: { summary: '{{run}}/{{process}} failed' },
      },
    ],
    notifiers: [{ type: 'webhook', url: `${hook.url}/hook`, max_attempts: 5, timeout: '5s' }],
  });
  const store = fileStore(join(dir, 'runs'));
  const alerter = createAlerter({ store, rules: await loadRulesFile(rulesPath) });
  const run = await own(store, { runName: RUN, processName: 'sync' });
  try {
    run.summary.incrementItems({ processed: 3, failed: 3 });
    run.summary.endProcess({ outcome: 'failed' });
    await run.save();
    await alerter.evaluate();
    assert.equal(
      hook.requests.map((r) => r.status),
      [500, 500, 200],
      'retried until accepted',
    );
    assert.is(hook.accepted().length, 1);
    // The same notification each time.
    assert.is(hook.requests[0]?.body, hook.requests[2]?.body);
    assert.is(statusOf(hook.accepted()[0] as ReceivedRequest), 'firing');
    await alerter.evaluate();
    assert.is(hook.requests.length, 3, 'delivered: not sent again');
  } finally {
    await alerter.close();
    await run.release();
    await hook.close();
    cleanup();
  }
});

test('a hostile run name arrives as data: exact in the webhook JSON, inert in Slack mrkdwn', async () => {
  const { dir, cleanup } = tempDir();
  const hook = await startReceiver();
  const slack = await startReceiver();
  // Legal as a run name; in Slack, <!channel> would page everyone and <mailto:…|text> forge a link (a run name holds no '/').
  const hostile = 'harvard_<!channel> <mailto:boss@example.com|click> *bold* & "quote" \u202eflip';
  const rulesPath = writeRules(dir, {
    rules: [
      {
        name: 'run-failed',
        match: { run: 'harvard_*' },
        when: { status: ['failed'] },
        severity: 'critical',
        annotations: { summary: '{{run}} failed' },
      },
    ],
    notifiers: [
      { type: 'webhook', url: `${hook.url}/hook` },
      { type: 'slack', url: `${slack.url}/slack` },
    ],
  });
  const store = fileStore(join(dir, 'runs'));
  const alerter = createAlerter({ store, rules: await loadRulesFile(rulesPath) });
  const run = await own(store, { runName: hostile, processName: 'collect' });
  try {
    run.summary.endProcess({ outcome: 'failed' });
    await run.save();
    await alerter.evaluate();
    assert.is(hook.requests.length, 1);
    const body = alertOf(hook.requests[0] as ReceivedRequest);
    assert.is(body.run, hostile);
    assert.equal(body.annotations, { summary: `${hostile} failed` });
    assert.is(slack.requests.length, 1);
    const text = JSON.stringify(slack.requests[0]?.json);
    assert.not.match(text, /<!channel>/);
    assert.not.match(text, /<mailto:/);
    assert.match(text, /&lt;!channel&gt;/);
  } finally {
    await alerter.close();
    await run.release();
    await hook.close();
    await slack.close();
    cleanup();
  }
});

test.run();
