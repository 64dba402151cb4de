import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, nowSeconds, tempRoot, writeSummary } from './_helpers.ts';

const test = suite('workers');

/** Run "sharded", process "collect" as 3 workers: 10, 20 and 30 of 100 items each, running. */
async function threeWorkers(root: string, done = false): Promise<void> {
  for (const [i, worker] of ['w1', 'w2', 'w3'].entries()) {
    await writeSummary(
      root,
      'sharded',
      'collect',
      (s, clock) => {
        s.setItemsTotal(100);
        s.incrementItems({ processed: (i + 1) * 10, successful: (i + 1) * 10 - 1, failed: 1 });
        s.addError('NetworkError', `timeout on ${worker}`);
        clock.advance(10);
        s.checkpoint();
        if (done) s.endProcess();
      },
      { worker, start: nowSeconds() - 10 },
    );
  }
}

interface Row {
  run_name: string;
  process_name: string;
  worker: string | null;
  status: string;
  items_processed: number;
  items_failed: number;
  items_total: number | null;
  error_types: Record<string, number>;
  worker_count: number;
  workers: Row[];
}

test('list: one merged row per process with its workers nested; text shows each worker', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await threeWorkers(root);
    const json = JSON.parse(cli(['list', '--root', root, '--json']).stdout) as { summaries: Row[] };
    assert.is(json.summaries.length, 1);
    const row = json.summaries[0] as Row;
    assert.is(row.worker, null);
    assert.is(row.worker_count, 3);
    assert.is(row.items_processed, 60);
    assert.is(row.items_failed, 3);
    assert.is(row.items_total, 300);
    assert.equal(row.error_types, { NetworkError: 3 });
    assert.equal(
      row.workers.map((w) => `${w.worker}:${w.items_processed}`),
      ['w1:10', 'w2:20', 'w3:30'],
    );
    const text = cli(['list', '--root', root]);
    assert.is(text.code, 0, text.stderr);
    assert.match(text.stdout, /sharded\s+collect \(3 workers\)\s+running\s+60\b/);
    assert.match(text.stdout, /^\s+@w2\s+running\s+20\b/m);
  } finally {
    cleanup();
  }
});

test('show merges the workers with a per-worker breakdown; process@worker shows one', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await threeWorkers(root);
    const merged = cli(['show', 'sharded', 'collect', '--root', root]);
    assert.is(merged.code, 0, merged.stderr);
    assert.match(merged.stdout, /processed:\s+60 of 300/);
    assert.match(merged.stdout, /Workers \(3\)/);
    assert.match(merged.stdout, /^\s+w3\s+running\s+30\b/m);
    const one = JSON.parse(
      cli(['show', 'sharded', 'collect@w2', '--root', root, '--json']).stdout,
    ) as Row;
    assert.is(one.worker, 'w2');
    assert.is(one.items_processed, 20);
  } finally {
    cleanup();
  }
});

test('check, aggregate and export see one process; watch of finished workers exits 0', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await threeWorkers(root, true);
    const check = cli(['check', 'sharded', 'collect', '--root', root, '--max-failed', '2']);
    assert.is(check.code, 2, check.stdout);
    assert.match(check.stdout, /sharded\/collect failed 3 > 2/);
    const aggregate = JSON.parse(cli(['aggregate', '--root', root, '--json']).stdout) as {
      processes: { process_name: string; runs: { items_processed: number }[] }[];
    };
    assert.is(aggregate.processes.length, 1);
    assert.equal(
      aggregate.processes[0]?.runs.map((r) => r.items_processed),
      [60],
    );
    const exported = JSON.parse(
      cli(['export', 'sharded', '--root', root, '--format', 'json']).stdout,
    ) as { summaries: Row[] };
    assert.is(exported.summaries.length, 1);
    assert.is(exported.summaries[0]?.worker_count, 3);
    const prometheus = cli(['export', 'sharded', '--root', root, '--format', 'prometheus']);
    assert.is(prometheus.code, 0, prometheus.stderr);
    assert.match(prometheus.stdout, /worker="w1"/);
    const watch = cli(['watch', 'sharded', 'collect', '--root', root]);
    assert.is(watch.code, 0, watch.stderr);
    assert.match(watch.stdout, /sharded\/collect completed with failures 60\/300/);
  } finally {
    cleanup();
  }
});

test.run();
