import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, completedRun, tempRoot, writeSummary } from './_helpers.ts';

const test = suite('repair');

test('restores a corrupt summary from its backup, keeps the bad file, lists it', async () => {
  const { root, cleanup } = tempRoot();
  try {
    const { summary, store, path } = await writeSummary(root, 'nightly', 'collect', completedRun);
    await store.save(summary); // the first version becomes the .bak
    assert.ok(existsSync(`${path}.bak`));
    writeFileSync(path, '{"torn": ');
    // Inspection never moves files.
    assert.is(cli(['list', '--root', root]).code, 1);
    assert.is(cli(['show', 'nightly', 'collect', '--root', root]).code, 1);
    assert.equal(
      readdirSync(dirname(path)).filter((n) => n.includes('corrupt')),
      [],
    );
    const result = cli(['repair', 'nightly', 'collect', '--root', root]);
    assert.is(result.code, 0, result.stderr);
    assert.match(result.stdout, /restored from its previous good version/);
    assert.match(
      result.stdout,
      /quarantined \(kept, never deleted\):\n {2}.*process_summary_collect\.json\.corrupt-/,
    );
    assert.is(cli(['show', 'nightly', 'collect', '--root', root]).code, 0);
    const quarantined = readdirSync(dirname(path)).filter((n) => n.includes('.corrupt-'));
    assert.is(quarantined.length, 1);
    assert.is(readFileSync(`${dirname(path)}/${quarantined[0]}`, 'utf8'), '{"torn": ');
    const again = JSON.parse(
      cli(['repair', 'nightly', 'collect', '--root', root, '--json']).stdout,
    ) as {
      action: string;
      quarantined: { path: string; size_bytes: number }[];
    };
    assert.is(again.action, 'none');
    assert.is(again.quarantined[0]?.size_bytes, 9);
  } finally {
    cleanup();
  }
});

/** Every file of a directory with its bytes: what a run holds, to compare before and after. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .filter((n) => !n.startsWith('.process_summary_') || !n.endsWith('.owner'))
      .filter((n) => !n.endsWith('.owner') && !n.endsWith('.lock'))
      .sort()
      .map((n) => [n, readFileSync(join(dir, n)).toString('base64')]),
  );
}

test('nothing to restore from (a journal without a usable event): exit 1, every file as it was found', async () => {
  const { root, cleanup } = tempRoot();
  try {
    const { path, store } = await writeSummary(root, 'nightly', 'collect', completedRun);
    writeFileSync(path, 'garbage');
    writeFileSync(`${path}.bak`, '{"torn": ');
    // A journal with nothing usable in it cannot rebuild the summary either.
    writeFileSync(store.journalPathFor('nightly', 'collect'), 'not json\n');
    const before = snapshot(dirname(path));
    const result = cli(['repair', 'nightly', 'collect', '--root', root]);
    assert.is(result.code, 1);
    assert.match(result.stdout, /Every file was left as it was found/);
    assert.match(result.stdout, /holds no usable event/);
    assert.equal(snapshot(dirname(path)), before, 'nothing moved, nothing lost');
  } finally {
    cleanup();
  }
});

test('a limit the repair cannot meet (--max-file-bytes too small): exit 1, every file as it was found', async () => {
  const { root, cleanup } = tempRoot();
  try {
    const { path } = await twoLifetimes(root);
    const before = snapshot(dirname(path));
    // Both the summary and its backup are over the limit, so the store sets them aside and
    // rebuilds from the journal; the rebuilt summary is over the limit too and cannot be saved.
    const result = cli(['repair', 'nightly', 'collect', '--root', root, '--max-file-bytes', '300']);
    assert.is(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /Nothing was repaired: every file is as it was found/);
    assert.equal(snapshot(dirname(path)), before, 'the run holds what it held');
  } finally {
    cleanup();
  }
});

interface RepairJson {
  action: string;
  message: string;
  warnings: { code: string; message: string }[];
  quarantined: { path: string }[];
}

/** Two lifetimes of a run: the first interrupted by SIGTERM, the second completed. */
async function twoLifetimes(root: string) {
  const { summary, store, path } = await writeSummary(root, 'nightly', 'collect', (s, clock) => {
    s.incrementItems({ processed: 600, successful: 590, failed: 10, retried: 4, bytes: 6000 });
    s.addError('NetworkError', 'Connection timeout');
    s.addError('NetworkError', 'Connection reset');
    s.addProgressUpdate('Processing batch 1');
    clock.advance(60);
    s.markInterrupted({ reason: 'signal', signal: 'SIGTERM' });
  });
  summary.recordInterruption({ reason: 'signal', detail: 'stopped by SIGTERM' });
  summary.startProcess({ host: 'h', pid: 2 });
  summary.incrementItems({ processed: 400, successful: 400, retried: 1, bytes: 4000 });
  summary.addError('ValidationError', 'Invalid barcode 3204');
  summary.setCustomMetric('storage_type', 'minio');
  summary.endProcess();
  await store.save(summary);
  return { summary, store, path, journal: store.journalPathFor('nightly', 'collect') };
}

test('summary and backup both corrupt: rebuilt from the journal, with the right counts', async () => {
  const { root, cleanup } = tempRoot();
  try {
    const { path, journal } = await twoLifetimes(root);
    writeFileSync(path, '{"torn": ');
    writeFileSync(`${path}.bak`, '');
    const journalBefore = readFileSync(journal);
    const result = cli(['repair', 'nightly', 'collect', '--root', root]);
    assert.is(result.code, 0, result.stderr);
    assert.match(result.stdout, /rebuilt from the journal .*events\.jsonl \(\d+ events/);
    assert.match(result.stdout, /custom metrics and items_total are not in the journal/);
    assert.match(result.stderr, /warning: .* was rebuilt from its journal/);
    assert.match(result.stdout, /quarantined \(kept, never deleted\):/);
    const quarantined = readdirSync(dirname(path)).filter((n) => n.includes('.corrupt-'));
    assert.is(quarantined.length, 2, 'the summary and the backup, both kept');
    assert.equal(readFileSync(journal), journalBefore, 'the journal is read, never changed');

    const shown = cli(['show', 'nightly', 'collect', '--root', root, '--json']);
    assert.is(shown.code, 0, shown.stderr);
    const row = JSON.parse(shown.stdout) as Record<string, unknown> & {
      errors_by_type: { type: string; count: number }[];
      sessions: { end_reason: string }[];
    };
    assert.is(row.status, 'completed_with_failures');
    assert.is(row.items_processed, 1000);
    assert.is(row.items_successful, 990);
    assert.is(row.items_failed, 10);
    assert.is(row.items_retried, 5);
    assert.is(row.bytes_processed, 10_000);
    assert.is(row.error_count, 3);
    assert.is(row.interruption_count, 1);
    assert.equal(Object.fromEntries(row.errors_by_type.map((e) => [e.type, e.count])), {
      NetworkError: 2,
      ValidationError: 1,
    });
    assert.equal(
      row.sessions.map((s) => s.end_reason),
      ['signal', 'completed'],
    );
    assert.equal(row.custom_metrics, {});

    const again = JSON.parse(
      cli(['repair', 'nightly', 'collect', '--root', root, '--json']).stdout,
    ) as RepairJson;
    assert.is(again.action, 'none', 'the rebuilt summary is valid');
  } finally {
    cleanup();
  }
});

test('summary and backup both missing: rebuilt from the journal (--json names the notes)', async () => {
  const { root, cleanup } = tempRoot();
  try {
    const { path } = await twoLifetimes(root);
    rmSync(path);
    rmSync(`${path}.bak`);
    const result = cli(['repair', 'nightly', 'collect', '--root', root, '--json']);
    assert.is(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as RepairJson;
    assert.is(report.action, 'rebuilt_from_journal');
    // What the journal cannot give back is said in the store's warning.
    const rebuilt = report.warnings.find((w) => w.code === 'W_REBUILT_FROM_JOURNAL');
    assert.ok(rebuilt, JSON.stringify(report.warnings));
    assert.match(rebuilt?.message ?? '', /custom metrics and items_total are not in the journal/);
    assert.equal(report.quarantined, []);
    assert.is(cli(['validate', path]).code, 0);
  } finally {
    cleanup();
  }
});

test('no summary, no backup, no journal: a clear error and exit 3', () => {
  const { root, cleanup } = tempRoot();
  try {
    mkdirSync(join(root, 'nightly'));
    const result = cli(['repair', 'nightly', 'collect', '--root', root]);
    assert.is(result.code, 3);
    assert.match(result.stderr, /nightly\/collect has no summary and no history/);
    assert.equal(readdirSync(join(root, 'nightly')), [], 'nothing written');
  } finally {
    cleanup();
  }
});

test('refused while a live process owns the summary, naming it; nothing changes', async () => {
  const { createProcessSummary, releaseProcessSummary } = await import('@process-summary/recovery');
  const { root, cleanup } = tempRoot();
  // This test process is the live owner.
  const summary = await createProcessSummary('live', 'collect', {
    root,
    handleSignals: false,
    heartbeatSeconds: 0,
  });
  try {
    const before = readdirSync(join(root, 'live')).sort();
    const result = cli(['repair', 'live', 'collect', '--root', root]);
    assert.is(result.code, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`live/collect is owned by .*${process.pid}`));
    assert.match(result.stderr, /stop it before repairing/);
    assert.equal(readdirSync(join(root, 'live')).sort(), before);
  } finally {
    await releaseProcessSummary(summary);
    cleanup();
  }
});

test.run();
