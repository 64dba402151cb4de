import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { PgSummaryStore } from '@process-summary/store-pg';
import { startReceiver, testPostgres } from '@process-summary/test-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  deliveryRecorded,
  errorRateRules,
  own,
  start,
  statusOf,
  tempDir,
  writeRules,
} from './_alert.ts';
import { cli, cliAsync, hasRawControl } from './_helpers.ts';

const RUN = 'harvard_2024';

test('alert without --rules, or with arguments, is a usage error (exit 2, one line)', () => {
  const missing = cli(['alert', '--root', '/nonexistent']);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /^summary-inspect: alert needs --rules FILE/);
  assert.is(missing.stderr.trim().split('\n').length, 1);
  const extra = cli(['alert', 'harvard_2024', '--rules', 'x.yaml']);
  assert.is(extra.code, 2);
  assert.match(extra.stderr, /alert takes no arguments/);
});

test('a rules file that does not validate is refused before anything is sent (exit 2, its JSON path named); a missing one is exit 3; a missing root a warning', async () => {
  const { dir, cleanup } = tempDir();
  const hook = await startReceiver();
  try {
    const rules = errorRateRules(`${hook.url}/hook`) as {
      rules: { when: Record<string, unknown> }[];
    };
    (rules.rules[0] as { when: Record<string, unknown> }).when = {
      error_rate_percent: { above: 'five' },
    };
    const path = writeRules(dir, rules);
    const root = join(dir, 'runs');
    const run = await own(root, { runName: RUN, processName: 'collect' });
    run.summary.incrementItems({ processed: 10, failed: 10 });
    await run.save();
    const result = await cliAsync(['alert', '--rules', path, '--root', root, '--once']);
    await run.release();
    assert.is(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /rules\.json: rules\/0\/when\/error_rate_percent\/above: must be number/,
    );
    assert.is(result.stderr.trim().split('\n').length, 1);
    assert.equal(hook.requests, [], 'nothing sent');

    const absent = cli(['alert', '--rules', join(dir, 'absent.yaml'), '--root', root]);
    assert.is(absent.code, 3, absent.stderr);
    assert.match(absent.stderr, /absent\.yaml/);

    // A root that does not exist is said once on stderr; the alerter runs anyway.
    const missingRoot = join(dir, 'typo');
    const good = writeRules(dir, errorRateRules(`${hook.url}/hook`), 'good.json');
    const empty = cli(['alert', '--rules', good, '--root', missingRoot, '--once']);
    assert.is(empty.code, 0, empty.stderr);
    assert.is(
      empty.stderr,
      `summary-inspect: warning: ${missingRoot} does not exist yet; its runs are judged as pipelines create them\n`,
    );
    assert.is(empty.stdout, '0 summaries, 0 firing, 0 pending; 0 delivered\n');
  } finally {
    await hook.close();
    cleanup();
  }
});

test('alert --once: fires once, is not sent again by the next --once, resolves once; exit 0', async () => {
  const { dir, cleanup } = tempDir();
  const hook = await startReceiver();
  const root = join(dir, 'runs');
  const run = await own(root, { runName: RUN, processName: 'collect' });
  try {
    const path = writeRules(dir, errorRateRules(`${hook.url}/hook`));
    const once = (...more: string[]) =>
      cliAsync(['alert', '--rules', path, '--root', root, '--once', ...more]);
    run.summary.incrementItems({ processed: 100, successful: 100 });
    await run.save();
    let result = await once();
    assert.is(result.code, 0, result.stderr);
    assert.is(result.stdout, '1 summary, 0 firing, 0 pending; 0 delivered\n');
    assert.is(result.stderr, '');
    assert.equal(hook.requests, []);

    run.summary.incrementItems({ processed: 20, failed: 20 });
    await run.save();
    result = await once();
    assert.is(result.code, 0, result.stderr);
    assert.is(
      result.stdout,
      `firing too-many-errors ${RUN}/collect [critical]\n1 summary, 1 firing, 0 pending; 1 delivered\n`,
    );
    assert.equal(
      hook.requests.map((r) => statusOf(r.json)),
      ['firing'],
    );
    // The state is in the store: a second process does not send it again.
    result = await once('--json');
    assert.is(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(
      [json.summaries, json.firing, json.pending, json.notifications, json.deliveries],
      [1, 1, 0, [], { delivered: 0, failed: 0 }],
    );
    assert.is(hook.requests.length, 1);

    run.summary.incrementItems({ processed: 1000, successful: 1000 });
    await run.save();
    result = await once();
    assert.is(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(`^resolved too-many-errors ${RUN}/collect \\[critical\\]\n`),
    );
    assert.equal(
      hook.requests.map((r) => statusOf(r.json)),
      ['firing', 'resolved'],
    );
  } finally {
    await run.release();
    await hook.close();
    cleanup();
  }
});

test('alert --once exits 1 when a delivery failed after its retries, and says so on stderr, escaped', async () => {
  const { dir, cleanup } = tempDir();
  const hook = await startReceiver({ statuses: [500, 500, 500, 500] });
  const root = join(dir, 'runs');
  const run = await own(root, { runName: RUN, processName: 'collect' });
  try {
    const path = writeRules(dir, errorRateRules(`${hook.url}/hook`));
    run.summary.incrementItems({ processed: 20, failed: 20 });
    await run.save();
    const result = await cliAsync(['alert', '--rules', path, '--root', root, '--once']);
    assert.is(result.code, 1, result.stderr);
    assert.is(hook.requests.length, 2, 'max_attempts: 2');
    assert.match(result.stdout, /; 0 delivered, 1 FAILED\n$/);
    assert.match(result.stderr, /^summary-inspect: (warning|error): /m);
    assert.not.ok(hasRawControl(result.stderr));
  } finally {
    await run.release();
    await hook.close();
    cleanup();
  }
});

test('alert runs until SIGINT (or SIGTERM) and exits 0; SIGKILL and a restart neither fire twice nor lose the resolve', async () => {
  const { dir, cleanup } = tempDir();
  const hook = await startReceiver();
  const root = join(dir, 'runs');
  const run = await own(root, { runName: RUN, processName: 'collect' });
  const path = writeRules(dir, errorRateRules(`${hook.url}/hook`));
  const args = ['alert', '--rules', path, '--root', root];
  let alerter = start(args);
  try {
    const line = await alerter.stdoutMatching(/^alerting: .*\(Ctrl-C stops\)\n/m);
    assert.match(line, /1 rule, notifying webhook; evaluated every 1s, over /);
    run.summary.incrementItems({ processed: 20, failed: 20 });
    await run.save();
    await hook.waitFor((r) => statusOf(r.json) === 'firing');
    await deliveryRecorded(new FileSummaryStore({ root, logger: silentLogger }));
    alerter.child.kill('SIGKILL');
    await alerter.exited;

    alerter = start(args);
    await alerter.stdoutMatching(/^alerting: /m);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(
      hook.requests.map((r) => statusOf(r.json)),
      ['firing'],
      'no second firing',
    );
    run.summary.incrementItems({ processed: 1000, successful: 1000 });
    await run.save();
    await hook.waitFor((r) => statusOf(r.json) === 'resolved');
    assert.equal(
      hook.requests.map((r) => statusOf(r.json)),
      ['firing', 'resolved'],
    );

    const stopped = await alerter.stop('SIGINT');
    assert.equal(stopped, { code: 0, signal: null }, alerter.stderr());
    const again = start(args);
    await again.stdoutMatching(/^alerting: /m);
    assert.equal(await again.stop('SIGTERM'), { code: 0, signal: null }, again.stderr());
  } finally {
    alerter.child.kill('SIGKILL');
    await alerter.exited;
    await run.release();
    await hook.close();
    cleanup();
  }
});

test('alert over postgres://: the state is kept in the database; SIGKILL and a restart neither fire twice nor lose the resolve', async () => {
  const server = await testPostgres();
  const schema = `ps_cli_alert_${randomBytes(6).toString('hex')}`;
  const url = new URL(server.url);
  url.searchParams.set('schema', schema);
  const pg = new PgSummaryStore({ url: server.url, schema, logger: silentLogger });
  const { dir, cleanup } = tempDir();
  const hook = await startReceiver();
  const run = await own(pg, { runName: RUN, processName: 'collect' });
  const args = [
    'alert',
    '--rules',
    writeRules(dir, errorRateRules(`${hook.url}/hook`)),
    '--store',
    url.href,
  ];
  let alerter = start(args);
  try {
    await alerter.stdoutMatching(/^alerting: .* over postgres:/m);
    run.summary.incrementItems({ processed: 20, failed: 20 });
    await run.save();
    await hook.waitFor((r) => statusOf(r.json) === 'firing');
    await deliveryRecorded(pg);
    alerter.child.kill('SIGKILL');
    await alerter.exited;

    alerter = start(args);
    await alerter.stdoutMatching(/^alerting: /m);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(
      hook.requests.map((r) => statusOf(r.json)),
      ['firing'],
      'no second firing',
    );
    run.summary.incrementItems({ processed: 1000, successful: 1000 });
    await run.save();
    await hook.waitFor((r) => statusOf(r.json) === 'resolved');
    assert.equal(
      hook.requests.map((r) => statusOf(r.json)),
      ['firing', 'resolved'],
    );
    assert.equal(await alerter.stop('SIGTERM'), { code: 0, signal: null }, alerter.stderr());
  } finally {
    alerter.child.kill('SIGKILL');
    await alerter.exited;
    await run.release();
    await pg.close();
    await hook.close();
    cleanup();
  }
});

test('serve --rules: refuses a bad rules file before listening; with good ones alerts beside the dashboard, and stops both', async () => {
  const { dir, cleanup } = tempDir();
  const hook = await startReceiver();
  const root = join(dir, 'runs');
  const run = await own(root, { runName: RUN, processName: 'collect' });
  try {
    const bad = writeRules(dir, { rules: [{ name: 'x', when: {} }] }, 'bad.json');
    const refused = start(['serve', '--port', '0', '--root', root, '--rules', bad]);
    const { code } = await refused.exited;
    assert.is(code, 2, refused.stderr());
    assert.not.match(refused.stdout(), /dashboard:/);
    assert.match(refused.stderr(), /bad\.json: rules\/0\/when: /);

    const path = writeRules(dir, errorRateRules(`${hook.url}/hook`));
    const serving = start(['serve', '--port', '0', '--root', root, '--rules', path]);
    const out = await serving.stdoutMatching(/^dashboard: (http:\S+) \(Ctrl-C stops\)\n/m);
    assert.match(out, /^alerting: 1 rule, notifying webhook; evaluated every 1s\n/m);
    const url = /^dashboard: (http:\S+) /m.exec(out)?.[1] as string;
    assert.is((await fetch(`${url}healthz`)).status, 200);
    run.summary.incrementItems({ processed: 20, failed: 20 });
    await run.save();
    const firing = await hook.waitFor((r) => statusOf(r.json) === 'firing');
    assert.is((firing.json as { alerts: { run: string }[] }).alerts[0]?.run, RUN);
    assert.equal(await serving.stop('SIGTERM'), { code: 0, signal: null }, serving.stderr());
  } finally {
    await run.release();
    await hook.close();
    cleanup();
  }
});

test('serve --state-key without --rules is a usage error', () => {
  const result = cli(['serve', '--port', '0', '--root', '/nonexistent', '--state-key', 'alerts/x']);
  assert.is(result.code, 2);
  assert.match(result.stderr, /--state-key is the alert state of --rules/);
});

test.run();
