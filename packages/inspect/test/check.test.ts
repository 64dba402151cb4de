import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  checkRow,
  checkRows,
  formatComparison,
  nagiosOutput,
  parseThreshold,
  validateThreshold,
} from '../src/check.js';
import { type SummaryRow, summaryRow } from '../src/rows.js';
import { judgeStatus } from '../src/status.js';
import { dictOf, ownerStatus, readOf, started, throwsCode } from './_helpers.js';

function row(
  options: {
    runName?: string;
    processName?: string;
    ok?: number;
    failed?: number;
    end?: 'completed' | 'failed';
    owner?: 'alive' | 'dead';
    seconds?: number;
  } = {},
): SummaryRow {
  const { summary, clock } = started({
    runName: options.runName ?? 'r1',
    processName: options.processName ?? 'collect',
  });
  clock.advance(options.seconds ?? 10);
  const ok = options.ok ?? 100;
  const failed = options.failed ?? 0;
  summary.incrementItems({ processed: ok + failed, successful: ok, failed });
  if (options.end) summary.endProcess({ outcome: options.end });
  const read = readOf(dictOf(summary));
  const owner =
    options.owner === undefined ? null : ownerStatus(options.owner, 'pid 4242 on host-a is gone');
  return summaryRow(read, judgeStatus(read, owner, { now: clock.now() }));
}

test('a warning threshold above the critical one is refused with E_INVALID_ARGUMENT', () => {
  throwsCode(() => parseThreshold('max-error-rate', '10,5', 'max'), 'E_INVALID_ARGUMENT');
  throwsCode(() => parseThreshold('min-rate', '5,10', 'min'), 'E_INVALID_ARGUMENT');
  throwsCode(() => checkRows([], { maxFailed: { warning: 3, critical: 1 } }), 'E_INVALID_ARGUMENT');
  throwsCode(() => parseThreshold('max-failed', 'abc', 'max'), 'E_INVALID_ARGUMENT');
  throwsCode(() => parseThreshold('max-failed', '1,2,3', 'max'), 'E_INVALID_ARGUMENT');
  throwsCode(
    () => validateThreshold('x', { warning: null, critical: -1 }, 'max'),
    'E_INVALID_ARGUMENT',
  );
  assert.equal(parseThreshold('max-error-rate', '5,10%', 'max'), { warning: 5, critical: 10 });
  assert.equal(parseThreshold('min-rate', '10,5', 'min'), { warning: 10, critical: 5 });
});

test('a comparison is shown with the precision that makes it true, never 1% > 1%', () => {
  assert.is(formatComparison(1.004, '>', 1, '%'), '1.004% > 1%');
  assert.is(formatComparison(1.5, '>', 1, '%'), '2% > 1%');
  assert.is(formatComparison(0.9996, '<', 1, '/s'), '0.9996/s < 1/s');
  assert.is(formatComparison(2.26, '>', 2.25, '%'), '2.26% > 2.25%');
  assert.is(formatComparison(0.5, '>', 1), '0.5 > 1');
});

test('the error rate threshold: critical above critical, warning between', () => {
  // 1 failed of 100 attempted → 1%; 2 of 100 → 2%.
  const crit = checkRow(row({ ok: 98, failed: 2, end: 'completed' }), {
    maxErrorRate: { warning: 0.5, critical: 1 },
  });
  assert.is(crit.state, 'CRITICAL');
  assert.equal(crit.reasons, ['error rate 2% > 1% (critical)']);
  const warn = checkRow(row({ ok: 99, failed: 1, end: 'completed' }), {
    maxErrorRate: { warning: 0.5, critical: 1 },
  });
  assert.is(warn.state, 'WARNING');
  assert.equal(warn.reasons, ['error rate 1% > 0.5% (warning)']);
});

test('an error rate just above the limit is shown so the comparison is true', () => {
  // 1 failed of 99 attempted → 1.01%.
  const v = checkRow(row({ ok: 98, failed: 1, end: 'completed' }), {
    maxErrorRate: { warning: null, critical: 1 },
  });
  assert.equal(v.reasons, ['error rate 1.01% > 1% (critical)']);
});

test('crashed and failed runs are CRITICAL; a crashed run names why', () => {
  const crashed = checkRow(row({ owner: 'dead' }), {});
  assert.is(crashed.state, 'CRITICAL');
  assert.equal(crashed.reasons, ['crashed (pid 4242 on host-a is gone)']);
  assert.is(checkRow(row({ end: 'failed' }), {}).exit_code, 2);
});

test('min-rate is checked only while running: a crashed run is not judged on a rate it lacks', () => {
  const live = checkRow(row({ owner: 'alive', seconds: 100, ok: 50 }), {
    minRate: { warning: null, critical: 1 },
  });
  assert.equal(live.reasons, ['rate 0.5/s < 1/s (critical)']);
  const perf = checkRows([row({ owner: 'alive', seconds: 100, ok: 50 })], {
    minRate: { warning: null, critical: 1 },
  }).perfdata;
  assert.ok(perf.includes('rate=0.5;;1;0'), perf.join(' '));
  const crashedPerf = checkRows([row({ owner: 'dead', seconds: 100, ok: 50 })], {}).perfdata;
  assert.ok(!crashedPerf.some((p) => p.startsWith('rate=')), crashedPerf.join(' '));
  const crashed = checkRow(row({ owner: 'dead', seconds: 100, ok: 50 }), {
    minRate: { warning: null, critical: 1 },
  });
  assert.equal(crashed.reasons, ['crashed (pid 4242 on host-a is gone)']);
});

test('require-completed makes a running run CRITICAL', () => {
  const v = checkRow(row({ owner: 'alive' }), { requireCompleted: true });
  assert.is(v.state, 'CRITICAL');
  assert.equal(v.reasons, ['not completed (running)']);
});

test('the worst verdict wins; an unreadable summary is UNKNOWN; nothing to check is UNKNOWN', () => {
  const result = checkRows(
    [row({ end: 'completed' }), row({ processName: 'sync', end: 'failed' })],
    {},
  );
  assert.is(result.state, 'CRITICAL');
  assert.is(result.exit_code, 2);
  const unknown = checkRows([row({ end: 'completed' })], {}, [{ message: 'r1/x: not valid JSON' }]);
  assert.is(unknown.state, 'UNKNOWN');
  assert.is(checkRows([], {}).state, 'UNKNOWN');
  assert.is(checkRows([row({ end: 'completed' })], {}).state, 'OK');
});

test('the plugin output escapes pipes and newlines from names and messages', () => {
  const hostile = row({ runName: 'r1', processName: 'collect', owner: 'dead' });
  hostile.status_reason = 'gone | PIPELINE OK\nsecond line';
  const output = nagiosOutput(checkRows([hostile], {}, [{ message: 'bad|file\nx' }]));
  assert.is(output.split('\n').length, 2, 'one line and the final newline');
  const [status, perf] = output.split(' | ');
  assert.not.match(status ?? '', '|');
  assert.ok(
    status?.startsWith('PIPELINE UNKNOWN - r1/collect crashed (gone ¦ PIPELINE OK\\nsecond line)'),
  );
  assert.ok(perf?.startsWith('processed=100c'));
});

test('perfdata labels name the process when several rows, and carry thresholds', () => {
  const result = checkRows(
    [
      row({ processName: 'collect', end: 'completed' }),
      row({ processName: 'sync it', end: 'completed' }),
    ],
    { maxFailed: { warning: 1, critical: 5 } },
  );
  assert.ok(result.perfdata.includes('collect_failed=0c;1;5;0'));
  assert.ok(result.perfdata.includes("'sync it_processed'=100c"));
  assert.ok(
    !result.perfdata.some((p) => /^(collect|'sync it)_rate=/.test(p)),
    'finished runs have no current rate',
  );
});

test.run();
