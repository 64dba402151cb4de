import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRulesFile } from '@process-summary/alerts';
import { ProcessSummary } from '@process-summary/core';
import { FileSummaryStore } from '@process-summary/store-fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { examplesDir, summaryInspect, tempDir } from './_helpers.js';

const PROMETHEUS_RULES = join(examplesDir, 'prometheus-alerts.yml');

/** promtool with `args`, run in the examples folder; fails (never skips) when it cannot run. */
function promtool(args: string[]): { code: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: examplesDir, encoding: 'utf8' });
  if (result.error !== undefined) {
    throw new Error(
      `promtool could not run (install Debian's "prometheus"; .ci/run does): ${result.error.message}`,
    );
  }
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

test('examples/prometheus-alerts.yml passes promtool check rules', () => {
  const result = promtool(['check', 'rules', PROMETHEUS_RULES]);
  assert.is(result.code, 0, result.output);
  assert.match(result.output, /SUCCESS: 7 rules found/);
});

test('each rule of examples/prometheus-alerts.yml fires on what it says, and only on it (promtool test rules)', () => {
  const result = promtool(['test', 'rules', 'prometheus-alerts.test.yml']);
  assert.is(result.code, 0, result.output);
  assert.match(result.output, /SUCCESS/);
});

test('every metric and state the Prometheus rules name is one summary-inspect export writes', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const store = new FileSummaryStore({ root: dir });
    // A running process (rate, ETA, checkpoint), and a failed one with errors by type.
    const running = new ProcessSummary({ runName: 'harvard_2024', processName: 'collect' });
    running.startProcess();
    running.setItemsTotal(1000);
    running.incrementItems({ processed: 10, successful: 9, failed: 1 });
    running.addError('NetworkError', 'timeout');
    const { lease } = await store.acquire({ runName: 'harvard_2024', processName: 'collect' });
    await store.save(running, lease);
    const failed = new ProcessSummary({ runName: 'harvard_2024', processName: 'sync' });
    failed.startProcess();
    failed.incrementItems({ processed: 5, successful: 4, failed: 1 });
    failed.addError('NotFoundError', 'gone');
    failed.endProcess({ outcome: 'failed' });
    const other = await store.acquire({ runName: 'harvard_2024', processName: 'sync' });
    await store.save(failed, other.lease);
    await store.release(other.lease);

    const exported = await summaryInspect([
      'export',
      'harvard_2024',
      '--format',
      'prometheus',
      '--root',
      dir,
    ]);
    assert.is(exported.code, 0, exported.output);
    await store.release(lease);
    const written = new Set(
      [...exported.output.matchAll(/^# TYPE (pipeline_\w+) /gm)].map((m) => m[1]),
    );
    const states = new Set([...exported.output.matchAll(/state="([a-z_]+)"/g)].map((m) => m[1]));
    const rules = readFileSync(PROMETHEUS_RULES, 'utf8');
    const named = new Set([...rules.matchAll(/\b(pipeline_\w+)/g)].map((m) => m[1]));
    assert.ok(named.size >= 7, `the rules name the metrics: ${[...named]}`);
    assert.equal(
      [...named].filter((name) => !written.has(name)),
      [],
      'metrics the rules use but the export does not write',
    );
    const used = [...rules.matchAll(/state=~?"([a-z_|]+)"/g)].flatMap((m) =>
      (m[1] as string).split('|'),
    );
    assert.ok(used.length >= 4);
    assert.equal(
      used.filter((state) => !states.has(state)),
      [],
      'states the rules use but the export does not write',
    );
  } finally {
    cleanup();
  }
});

test('examples/alerts.yaml validates against the rules schema of @process-summary/alerts', async () => {
  const config = await loadRulesFile(join(examplesDir, 'alerts.yaml'));
  assert.equal(
    config.rules.map((r) => r.name),
    [
      'run-failed',
      'no-progress',
      'silent',
      'too-many-errors',
      'not-found-burst',
      'slow',
      'late',
      'queue-backlog',
    ],
  );
  assert.equal(
    config.notifiers.map((n) => n.type),
    ['webhook', 'slack', 'alertmanager', 'command'],
  );
});

test.run();
