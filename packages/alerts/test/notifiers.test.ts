import { strict as assert } from 'node:assert';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import type { Notification } from '../src/notification.js';
import { alertmanagerAlert, alertmanagerNotifier } from '../src/notifiers/alertmanager.js';
import { commandNotifier } from '../src/notifiers/command.js';
import { buildNotifiers, readSecret } from '../src/notifiers/index.js';
import { escapeMrkdwn, slackBody, slackNotifier } from '../src/notifiers/slack.js';
import { SIGNATURE_HEADER, webhookNotifier } from '../src/notifiers/webhook.js';
import { caught, recordingLogger, startReceiver } from './_kit.js';

const HOSTILE = '<!channel> & <http://evil.example|click> `x` *b*';

function notification(fields: Partial<Notification> = {}): Notification {
  return {
    status: 'firing',
    rule: 'too-many-errors',
    severity: 'critical',
    run: 'harvard_2024',
    process: 'collect',
    worker: null,
    labels: { team: 'digitization' },
    annotations: { summary: 'harvard_2024/collect: 10% errors' },
    starts_at: '2026-05-28T10:00:00.000Z',
    ends_at: null,
    value: 10,
    fingerprint: '0123456789abcdef',
    dashboard_url: null,
    ...fields,
  };
}

const signal = () => AbortSignal.timeout(10_000);

test('webhook: the documented body, and a signature that verifies with the secret over the exact bytes', async () => {
  const receiver = await startReceiver();
  try {
    const secret = 's3cret-\u00e9';
    const n = notification({ run: HOSTILE });
    await webhookNotifier({ name: 'w', url: `${receiver.url}/hook`, secret }).send(n, signal());
    const got = receiver.received[0];
    assert.equal(got?.method, 'POST');
    assert.equal(got?.url, '/hook');
    assert.equal(got?.headers['content-type'], 'application/json');
    const body = JSON.parse(got?.body ?? '');
    assert.deepEqual(body, { version: '1', status: 'firing', alerts: [n] });
    const header = String(got?.headers[SIGNATURE_HEADER]);
    const expected = `sha256=${createHmac('sha256', secret)
      .update(Buffer.from(got?.body ?? '', 'utf8'))
      .digest('hex')}`;
    assert.ok(timingSafeEqual(Buffer.from(header), Buffer.from(expected)));
    const forged = `sha256=${createHmac('sha256', 'other')
      .update(got?.body ?? '')
      .digest('hex')}`;
    assert.notEqual(header, forged);
    // Without a secret there is no signature header at all.
    await webhookNotifier({ name: 'w', url: receiver.url, secret: null }).send(n, signal());
    assert.equal(receiver.received[1]?.headers[SIGNATURE_HEADER], undefined);
  } finally {
    await receiver.close();
  }
});

test('webhook: a non-2xx answer rejects; 4xx is permanent, 5xx and 429 are not; redirects are not followed', async () => {
  const receiver = await startReceiver();
  try {
    const hook = webhookNotifier({ name: 'w', url: receiver.url, secret: null });
    receiver.statuses.push(500, 404, 429, 302);
    const e500 = await caught(() => hook.send(notification(), signal()));
    assert.match(e500.message, /answered 500/);
    assert.notEqual((e500 as { permanent?: boolean }).permanent, true);
    const e404 = await caught(() => hook.send(notification(), signal()));
    assert.equal((e404 as { permanent?: boolean }).permanent, true);
    const e429 = await caught(() => hook.send(notification(), signal()));
    assert.notEqual((e429 as { permanent?: boolean }).permanent, true);
    const e302 = await caught(() => hook.send(notification(), signal()));
    assert.match(e302.message, /answered 302/);
    assert.equal(receiver.received.length, 4);
  } finally {
    await receiver.close();
  }
});

test('slack: hostile run names, messages and annotations are escaped (no mention, no link, no early code end)', async () => {
  const receiver = await startReceiver();
  try {
    const n = notification({
      run: HOSTILE,
      process: 'a>b',
      annotations: { summary: `boom ${HOSTILE}` },
      value: '<@U123>',
    });
    await slackNotifier({ name: 's', url: receiver.url }).send(n, signal());
    const { text } = JSON.parse(receiver.received[0]?.body ?? '{}') as { text: string };
    assert.equal(escapeMrkdwn('a & <b> '), 'a &amp; &lt;b&gt; ');
    assert.ok(!text.includes('<!channel>'));
    assert.ok(!text.includes('<http://evil.example|click>'));
    assert.ok(!text.includes('<@U123>'));
    assert.ok(text.includes('&lt;!channel&gt; &amp; &lt;http://evil.example|click&gt;'));
    assert.ok(text.includes('*FIRING*'));
    // No raw < or > anywhere but in the alerter's own markup (none without a dashboard URL).
    assert.ok(!/[<>]/.test(text), text);
    // Backticks inside a code span cannot close it.
    const head = text.split('\n')[0] ?? '';
    assert.equal((head.match(/`/g) ?? []).length, 4, head);
    const resolved = slackBody(
      notification({ status: 'resolved', ends_at: '2026-05-28T11:00:00.000Z' }),
    );
    assert.match(resolved.text, /RESOLVED/);
    assert.match(resolved.text, /to 2026-05-28T11:00:00.000Z/);
  } finally {
    await receiver.close();
  }
});

test('alertmanager: POST /api/v2/alerts with labels, annotations, startsAt and endsAt', async () => {
  const receiver = await startReceiver();
  try {
    const am = alertmanagerNotifier({
      name: 'am',
      url: `${receiver.url}/prefix/`,
      refreshSeconds: 60,
      now: () => 1_780_000_000,
    });
    assert.equal(am.refreshSeconds, 60);
    await am.send(
      notification({ worker: 'w1', dashboard_url: 'http://127.0.0.1:4177/runs/r/p' }),
      signal(),
    );
    const got = receiver.received[0];
    assert.equal(got?.url, '/prefix/api/v2/alerts');
    assert.deepEqual(JSON.parse(got?.body ?? ''), [
      {
        labels: {
          team: 'digitization',
          alertname: 'too-many-errors',
          severity: 'critical',
          run: 'harvard_2024',
          process: 'collect',
          worker: 'w1',
        },
        annotations: { summary: 'harvard_2024/collect: 10% errors', value: '10' },
        startsAt: '2026-05-28T10:00:00.000Z',
        endsAt: new Date((1_780_000_000 + 240) * 1000).toISOString(),
        generatorURL: 'http://127.0.0.1:4177/runs/r/p',
      },
    ]);
    const resolved = alertmanagerAlert(
      notification({ status: 'resolved', ends_at: '2026-05-28T11:00:00.000Z' }),
      0,
      240,
    );
    assert.equal(resolved.endsAt, '2026-05-28T11:00:00.000Z');
    assert.equal(resolved.labels.worker, undefined);
    // A rule's label cannot override the alerter's own.
    const own = alertmanagerAlert(notification({ labels: { alertname: 'x', run: 'y' } }), 0, 240);
    assert.equal(own.labels.alertname, 'too-many-errors');
    assert.equal(own.labels.run, 'harvard_2024');
  } finally {
    await receiver.close();
  }
});

test('command: argv without a shell, the alert on stdin and in the environment', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'alerts-cmd-'));
  try {
    const marker = join(dir, 'touched');
    const script = join(dir, 'page.mjs');
    await writeFile(
      script,
      `import { readFileSync, writeFileSync } from 'node:fs';
const stdin = readFileSync(0, 'utf8');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('PROCESS_SUMMARY_ALERT_')));
writeFileSync(${JSON.stringify(join(dir, 'out.json'))}, JSON.stringify({ argv: process.argv.slice(2), stdin, env }));
`,
    );
    const hostileArg = `$(touch ${marker}); touch ${marker} \`touch ${marker}\` *`;
    const n = notification({
      run: `r$(touch ${marker})`,
      annotations: { summary: 'sum "q" \n line' },
    });
    await commandNotifier({
      name: 'c',
      argv: [process.execPath, script, '--quiet', hostileArg],
    }).send(n, signal());
    const out = JSON.parse(await readFile(join(dir, 'out.json'), 'utf8'));
    assert.deepEqual(out.argv, ['--quiet', hostileArg]);
    assert.deepEqual(JSON.parse(out.stdin), n);
    assert.deepEqual(out.env, {
      PROCESS_SUMMARY_ALERT_STATUS: 'firing',
      PROCESS_SUMMARY_ALERT_RULE: 'too-many-errors',
      PROCESS_SUMMARY_ALERT_SEVERITY: 'critical',
      PROCESS_SUMMARY_ALERT_RUN: `r$(touch ${marker})`,
      PROCESS_SUMMARY_ALERT_PROCESS: 'collect',
      PROCESS_SUMMARY_ALERT_WORKER: '',
      PROCESS_SUMMARY_ALERT_FINGERPRINT: '0123456789abcdef',
      PROCESS_SUMMARY_ALERT_VALUE: '10',
      PROCESS_SUMMARY_ALERT_SUMMARY: 'sum "q" \n line',
    });
    assert.equal(existsSync(marker), false, 'no shell interpreted the metacharacters');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('command: a non-zero exit, a missing program and a timeout reject (the timeout kills it)', async () => {
  const failing = commandNotifier({
    name: 'c',
    argv: [process.execPath, '-e', 'process.stderr.write("no pager"); process.exit(3)'],
  });
  const exit = await caught(() => failing.send(notification(), signal()));
  assert.match(exit.message, /exited with 3: "no pager"/);
  const missing = commandNotifier({ name: 'c', argv: ['/nonexistent/page-someone'] });
  assert.match(
    (await caught(() => missing.send(notification(), signal()))).message,
    /cannot run \(ENOENT\)/,
  );
  const hanging = commandNotifier({
    name: 'c',
    argv: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
  });
  const controller = new AbortController();
  const pending = caught(() => hanging.send(notification(), controller.signal));
  setTimeout(() => controller.abort(), 200);
  assert.match((await pending).message, /killed/);
});

test('secrets: read without the trailing newline; missing, empty and world-readable files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'alerts-secret-'));
  try {
    const logger = recordingLogger();
    const path = join(dir, 'hook.secret');
    await writeFile(path, 'abc\n', { mode: 0o600 });
    await chmod(path, 0o600);
    assert.equal(readSecret(path, 'w', logger), 'abc');
    assert.equal(logger.entries.length, 0);
    await chmod(path, 0o644);
    readSecret(path, 'w', logger);
    assert.match(logger.entries[0]?.message ?? '', /readable by every user/);
    assert.equal(
      (await caught(() => readSecret(join(dir, 'none'), 'w', logger))).code,
      'E_NOT_FOUND',
    );
    await writeFile(join(dir, 'empty'), '\n');
    assert.equal(
      (await caught(() => readSecret(join(dir, 'empty'), 'w', logger))).code,
      'E_INVALID_ARGUMENT',
    );
    const built = await caught(() =>
      buildNotifiers(
        [
          {
            type: 'webhook',
            name: 'w',
            url: 'http://127.0.0.1:1',
            secret_file: join(dir, 'none'),
            timeout_seconds: 10,
            max_attempts: 5,
          },
        ],
        { logger, now: () => 0, evaluateEverySeconds: 15 },
      ),
    );
    assert.equal(built.code, 'E_NOT_FOUND');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
