import { utimesSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, completedRun, tempRoot, writeSummary } from './_helpers.ts';

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
      /^PIPELINE OK - nightly\/collect completed with failures \(1% errors, 1000 processed\) \| processed=1000c/,
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
    assert.match(critical.stdout, /^PIPELINE CRITICAL - nightly\/collect 10 failed > 5/);
    const unknown = cli(['check', 'nightly', 'nope', '--root', root]);
    assert.is(unknown.code, 3);
    assert.match(unknown.stdout, /^PIPELINE UNKNOWN - no process "nope"/);
    const usage = run('--max-failed', 'lots');
    assert.is(usage.code, 3);
    assert.match(usage.stdout, /^PIPELINE UNKNOWN - --max-failed expects a number/);
  } finally {
    cleanup();
  }
});

test('failed is CRITICAL; stale is CRITICAL; --min-rate and --require-completed on a running job', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await writeSummary(root, 'r', 'failed', (s) => s.endProcess({ outcome: 'failed' }));
    assert.is(cli(['check', 'r', 'failed', '--root', root]).code, 2);
    const { path } = await writeSummary(root, 'r', 'running', (s, clock) => {
      s.incrementItems({ processed: 100, successful: 100 });
      clock.advance(100);
      s.checkpoint();
    });
    // Saved while running: current rate 1 item/s.
    const running = cli(['check', 'r', 'running', '--root', root]);
    assert.is(running.code, 0, running.stdout);
    assert.is(cli(['check', 'r', 'running', '--root', root, '--min-rate', '5,0.5']).code, 1);
    assert.is(cli(['check', 'r', 'running', '--root', root, '--min-rate', '5']).code, 2);
    assert.is(cli(['check', 'r', 'running', '--root', root, '--require-completed']).code, 2);
    const old = new Date('2025-06-15T00:00:00Z');
    utimesSync(path, old, old);
    const stale = cli(['check', 'r', 'running', '--root', root, '--stale-after', '10m']);
    assert.is(stale.code, 2);
    assert.match(stale.stdout, /stale \(no owner record/);
    const json = JSON.parse(cli(['check', 'r', '--root', root, '--json']).stdout) as {
      status: string;
      exit_code: number;
      summaries: { process_name: string; level: string; reasons: string[] }[];
    };
    assert.is(json.status, 'CRITICAL');
    assert.is(json.exit_code, 2);
    assert.equal(
      json.summaries.map((s) => `${s.process_name}:${s.level}`),
      ['failed:CRITICAL', 'running:CRITICAL'],
    );
  } finally {
    cleanup();
  }
});

test.run();
