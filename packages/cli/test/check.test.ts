import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, completedRun, nowSeconds, tempRoot, writeSummary } from './_helpers.ts';

const test = suite('check');

test('each Nagios level: OK 0, WARNING 1, CRITICAL 2, UNKNOWN 3, one status line', async () => {
  const { root, cleanup } = tempRoot();
  try {
    // 10 failed of 1,000: error rate 1%.
    await writeSummary(root, 'nightly', 'collect', completedRun);
    const run = (...args: string[]) =>
      cli(['check', 'nightly', 'collect', '--root', root, ...args]);
    const ok = run('--max-error-rate', '2', '--max-failed', '20', '--require-completed');
    assert.is(ok.code, 0, ok.stdout);
    assert.match(
      ok.stdout,
      /^PIPELINE OK - nightly\/collect completed with failures \| processed=1000c/,
    );
    assert.is(ok.stdout.trim().split('\n').length, 1);
    const warning = run('--max-error-rate', '0.5,2');
    assert.is(warning.code, 1);
    assert.match(
      warning.stdout,
      /^PIPELINE WARNING - nightly\/collect error rate 1% > 0\.5% \(warning\)/,
    );
    const critical = run('--max-failed', '5');
    assert.is(critical.code, 2);
    assert.match(
      critical.stdout,
      /^PIPELINE CRITICAL - nightly\/collect failed 10 > 5 \(critical\)/,
    );
    const unknown = cli(['check', 'nightly', 'nope', '--root', root]);
    assert.is(unknown.code, 3);
    assert.match(unknown.stdout, /^PIPELINE UNKNOWN - no process "nope"/);
    const usage = run('--max-failed', 'lots');
    assert.is(usage.code, 3);
    assert.match(usage.stdout, /^PIPELINE UNKNOWN - .*--max-failed expects N or WARN,CRIT/);
  } finally {
    cleanup();
  }
});

test('failed is CRITICAL; stale is CRITICAL; --min-rate and --require-completed on a running job', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await writeSummary(root, 'r', 'failed', (s) => s.endProcess({ outcome: 'failed' }));
    assert.is(cli(['check', 'r', 'failed', '--root', root]).code, 2);
    // Started 100 s ago by its clock, saved now: fresh, with a current rate of 1 item/s.
    await writeSummary(
      root,
      'r',
      'running',
      (s, clock) => {
        s.incrementItems({ processed: 100, successful: 100 });
        clock.advance(100);
        s.checkpoint();
      },
      { start: nowSeconds() - 100 },
    );
    // Saved while running: current rate 1 item/s.
    const running = cli(['check', 'r', 'running', '--root', root]);
    assert.is(running.code, 0, running.stdout);
    assert.is(cli(['check', 'r', 'running', '--root', root, '--min-rate', '5,0.5']).code, 1);
    assert.is(cli(['check', 'r', 'running', '--root', root, '--min-rate', '5']).code, 2);
    assert.is(cli(['check', 'r', 'running', '--root', root, '--require-completed']).code, 2);
    await writeSummary(root, 'r', 'silent', (s) => s.incrementItems({ processed: 1 }));
    const stale = cli(['check', 'r', 'silent', '--root', root, '--stale-after', '10m']);
    assert.is(stale.code, 2);
    assert.match(stale.stdout, /stale \(it has no owner/);
    const json = JSON.parse(cli(['check', 'r', '--root', root, '--json']).stdout) as {
      status: string;
      exit_code: number;
      summaries: { process_name: string; state: string; reasons: string[] }[];
    };
    assert.is(json.status, 'CRITICAL');
    assert.is(json.exit_code, 2);
    assert.equal(
      json.summaries.map((s) => `${s.process_name}:${s.state}`),
      ['failed:CRITICAL', 'running:OK', 'silent:CRITICAL'],
    );
  } finally {
    cleanup();
  }
});

test.run();
