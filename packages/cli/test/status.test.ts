import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, nowSeconds, tempRoot, writeSummary } from './_helpers.ts';

const test = suite('honest status');
const ownerScript = fileURLToPath(new URL('./fixtures/owner.mjs', import.meta.url));

interface Row {
  run_name: string;
  status: string;
  status_reason: string | null;
  current_rate_per_second: number | null;
  eta_seconds: number | null;
  last_update_time: number | null;
}

/** Starts the owner fixture, waits for its first save, kills it with SIGKILL. */
async function crashedOwner(root: string, runName: string, processName: string): Promise<void> {
  const child = spawn(process.execPath, [ownerScript, root, runName, processName], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`owner fixture exited early (${code})`)));
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
  });
  child.removeAllListeners('exit');
  const gone = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

test('a running summary whose owner was killed is crashed, with no current rate and no ETA', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await crashedOwner(root, 'nightly', 'collect');
    const list = cli(['list', '--root', root, '--json']);
    assert.is(list.code, 0, list.stderr);
    const [row] = (JSON.parse(list.stdout) as { summaries: Row[] }).summaries;
    assert.is(row?.status, 'crashed');
    assert.ok(row?.status_reason, 'a reason is given');
    assert.is(row?.current_rate_per_second, null);
    assert.is(row?.eta_seconds, null);
    const text = cli(['list', '--root', root]);
    // No rate at all: the whole-run rate of a run cut short is not a speed it has.
    assert.match(text.stdout, /nightly\s+collect\s+crashed\s+100\s+100\s+0\s+100%\s+-\s/);
    const show = cli(['show', 'nightly', 'collect', '--root', root]);
    assert.match(show.stdout, /crashed:\s+\S/);
    assert.not.match(show.stdout, /ETA:|current rate:/);
    const prometheus = cli(['export', 'nightly', '--root', root, '--format', 'prometheus']);
    assert.match(prometheus.stdout, /state="crashed"\} 1$/m);
    assert.not.match(prometheus.stdout, /^pipeline_eta_seconds\{/m);
    const check = cli(['check', 'nightly', 'collect', '--root', root]);
    assert.is(check.code, 2);
    assert.match(check.stdout, /^PIPELINE CRITICAL - nightly\/collect crashed/);
  } finally {
    cleanup();
  }
});

test('stale only when liveness cannot be judged: no owner and a long silence', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await writeSummary(root, 'old', 'collect', (s) =>
      s.incrementItems({ processed: 5, successful: 5 }),
    );
    await writeSummary(
      root,
      'fresh',
      'collect',
      (s) => s.incrementItems({ processed: 5, successful: 5 }),
      { start: nowSeconds() },
    );
    const rows = (
      JSON.parse(cli(['list', '--root', root, '--json']).stdout) as { summaries: Row[] }
    ).summaries;
    const byRun = Object.fromEntries(rows.map((r) => [r.run_name, r]));
    assert.is(byRun.fresh?.status, 'running');
    assert.is(byRun.old?.status, 'stale');
    assert.match(String(byRun.old?.status_reason), /no owner/);
    assert.is(byRun.old?.current_rate_per_second, null);
  } finally {
    cleanup();
  }
});

test('a run with only a journal is listed as needing repair; show points to repair', async () => {
  const { root, cleanup } = tempRoot();
  try {
    const { path } = await writeSummary(root, 'lost', 'collect', (s) => {
      s.incrementItems({ processed: 5, successful: 5 });
      s.addProgressUpdate('batch 1');
    });
    rmSync(path);
    const list = cli(['list', '--root', root]);
    assert.is(list.code, 0, list.stderr);
    assert.match(list.stdout, /lost\s+collect\s+needs repair/);
    assert.match(list.stderr, /summary-inspect repair lost collect/);
    const json = JSON.parse(cli(['list', '--root', root, '--json']).stdout) as {
      needs_repair: { run_name: string; process_name: string }[];
    };
    assert.equal(
      json.needs_repair.map((n) => `${n.run_name}/${n.process_name}`),
      ['lost/collect'],
    );
    const show = cli(['show', 'lost', 'collect', '--root', root]);
    assert.is(show.code, 3);
    assert.match(show.stderr, /summary-inspect repair lost collect/);
  } finally {
    cleanup();
  }
});

test('after repair the status reflects the last real save, not the repair', async () => {
  const { root, cleanup } = tempRoot();
  try {
    const { summary, store, path } = await writeSummary(root, 'nightly', 'collect', (s) =>
      s.incrementItems({ processed: 5, successful: 5 }),
    );
    await store.save(summary); // the first version becomes the previous good one
    writeFileSync(path, '{"torn": ');
    const repaired = cli(['repair', 'nightly', 'collect', '--root', root]);
    assert.is(repaired.code, 0, repaired.stderr);
    const [row] = (
      JSON.parse(cli(['list', '--root', root, '--json']).stdout) as { summaries: Row[] }
    ).summaries;
    // Saved by a clock of 2025: long silent, so stale, and dated by that save, not by now.
    assert.is(row?.status, 'stale');
    assert.ok((row?.last_update_time ?? 0) < nowSeconds() - 86_400, String(row?.last_update_time));
  } finally {
    cleanup();
  }
});

test('watch says the same words as list', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await writeSummary(root, 'nightly', 'collect', (s) => {
      s.incrementItems({ processed: 10, successful: 9, failed: 1 });
      s.endProcess();
    });
    const list = cli(['list', '--root', root]);
    assert.match(list.stdout, /completed with failures/);
    const watch = cli(['watch', 'nightly', 'collect', '--root', root]);
    assert.is(watch.code, 0, watch.stderr);
    assert.match(watch.stdout, / completed with failures /);
    assert.not.match(watch.stdout, /completed_with_failures/);
  } finally {
    cleanup();
  }
});

test.run();

const checks = suite('check thresholds');

checks('a warning threshold past the critical one is refused, UNKNOWN, before reading', () => {
  const max = cli(['check', 'nowhere', 'collect', '--max-error-rate', '5,1']);
  assert.is(max.code, 3);
  assert.match(
    max.stdout,
    /^PIPELINE UNKNOWN - .*--max-error-rate.*warning threshold 5 is above the critical threshold 1/,
  );
  const min = cli(['check', 'nowhere', 'collect', '--min-rate', '1,5']);
  assert.is(min.code, 3);
  assert.match(min.stdout, /--min-rate.*warning threshold 1 is below the critical threshold 5/);
});

checks('a comparison is shown with the precision that makes it true, never 1% > 1%', async () => {
  const { root, cleanup } = tempRoot();
  try {
    // 101 failed of 10,000: an error rate of 1.01%.
    await writeSummary(root, 'nightly', 'collect', (s) => {
      s.incrementItems({ processed: 10_000, successful: 9_899, failed: 101 });
      s.endProcess();
    });
    const result = cli(['check', 'nightly', 'collect', '--root', root, '--max-error-rate', '1']);
    assert.is(result.code, 2);
    assert.match(result.stdout, /error rate 1\.01% > 1%/);
    assert.not.match(result.stdout, /\b1% > 1%/);
  } finally {
    cleanup();
  }
});

checks.run();
