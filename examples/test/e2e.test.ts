import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readSummary, runExample, summaryInspect, tempDir } from './_helpers.js';

const test = suite<{ dir: string; cleanup: () => void }>('end to end: collect and sync');
test.before.each((ctx) => {
  Object.assign(ctx, tempDir());
});
test.after.each((ctx) => ctx.cleanup());

function collectArgs(dir: string, run: string, extra: string[] = []): string[] {
  return [
    '--run',
    run,
    '--root',
    join(dir, 'runs'),
    '--barcodes',
    join(dir, 'barcodes.txt'),
    '--count',
    '3000',
    // One book at a time: a run signalled at its second thousand is still far from done when
    // the signal lands, however late a loaded machine lets the test send it.
    '--latency-ms',
    '2',
    '--concurrency',
    '1',
    ...extra,
  ];
}

test('Ctrl-C: the file says interrupted by SIGINT; the rerun resumes with the counts kept', async ({
  dir,
}) => {
  const root = join(dir, 'runs');
  const first = runExample('collect/collect.ts', collectArgs(dir, 'r1'));
  await first.waitForOutput(/1\d{3}\/3000 books/);
  first.child.kill('SIGINT');
  const end = await first.exited;
  assert.is(end.signal, 'SIGINT', first.output());
  const stopped = await readSummary(root, 'r1', 'collect');
  assert.is(stopped.status, 'interrupted');
  assert.is(stopped.sessions[0]?.signal, 'SIGINT');
  const acknowledged = stopped.items_processed;
  assert.ok(acknowledged >= 1000 && acknowledged < 3000, String(acknowledged));

  const second = runExample('collect/collect.ts', collectArgs(dir, 'r1', ['--quiet']));
  assert.is((await second.exited).code, 0, second.output());
  const done = await readSummary(root, 'r1', 'collect');
  assert.is(done.status, 'completed');
  assert.is(done.items_processed, 3000, 'acknowledged counts plus the new work, each item once');
  assert.is(done.sessions[1]?.items_processed, 3000 - acknowledged);
  assert.is(done.interruption_count, 1);
  assert.ok(
    done.progress_updates.some((u) => u.message === 'Interruption detected: stopped by SIGINT'),
  );
  assert.ok(done.progress_updates.some((u) => u.message === 'Process resumed after interruption'));
  assert.is(done.custom_metrics.books_collected, done.items_successful);

  const check = await summaryInspect([
    'check',
    'r1',
    'collect',
    '--root',
    root,
    '--max-error-rate',
    '5',
  ]);
  assert.is(check.code, 0, check.output);
  assert.match(check.output, /^PIPELINE OK/);
});

test('kill -9: the rerun reports a crash and keeps every acknowledged count', async ({ dir }) => {
  const root = join(dir, 'runs');
  const first = runExample('collect/collect.ts', collectArgs(dir, 'r2'));
  await first.waitForOutput(/1\d{3}\/3000 books/);
  first.child.kill('SIGKILL');
  await first.exited;
  const acknowledged = (await readSummary(root, 'r2', 'collect')).items_processed;
  const second = runExample('collect/collect.ts', collectArgs(dir, 'r2', ['--quiet']));
  assert.is((await second.exited).code, 0, second.output());
  const done = await readSummary(root, 'r2', 'collect');
  assert.is(done.sessions[0]?.end_reason, 'crash');
  assert.is(done.sessions[0]?.items_processed, acknowledged);
  assert.is(done.items_processed, 3000);
  assert.match(
    done.progress_updates.map((u) => u.message).join('\n'),
    /Interruption detected: owner pid \d+ .* is gone/,
  );
});

test('a high failure rate ends the run as failed', async ({ dir }) => {
  const run = runExample(
    'collect/collect.ts',
    collectArgs(dir, 'r3', ['--quiet', '--count', '3000', '--failure-rate', '0.5']),
  );
  assert.is((await run.exited).code, 1);
  const d = await readSummary(join(dir, 'runs'), 'r3', 'collect');
  assert.is(d.status, 'failed');
  assert.ok(d.items_failed > 1000);
  assert.equal(Object.keys(d.error_types).sort(), ['NotFoundError', 'ValidationError']);

  const check = await summaryInspect([
    'check',
    'r3',
    '--root',
    join(dir, 'runs'),
    '--max-error-rate',
    '5',
  ]);
  assert.is(check.code, 2, check.output);
  assert.match(check.output, /^PIPELINE CRITICAL/);
});

test('sync copies and verifies everything, then skips everything on a second run', async ({
  dir,
}) => {
  const root = join(dir, 'runs');
  const args = [
    '--run',
    's',
    '--root',
    root,
    '--source',
    join(dir, 'src'),
    '--dest',
    join(dir, 'dst'),
    '--files',
    '40',
    '--quiet',
  ];
  const first = runExample('sync/sync.ts', args);
  assert.is((await first.exited).code, 0, first.output());
  const once = await readSummary(root, 's', 'sync');
  assert.is(once.custom_metrics.files_copied, 40);
  assert.ok(once.bytes_processed > 40 * 1024);
  const second = runExample('sync/sync.ts', args);
  assert.is((await second.exited).code, 0, second.output());
  const twice = await readSummary(root, 's', 'sync');
  assert.is(twice.custom_metrics.files_skipped, 40);
  assert.is(twice.custom_metrics.files_copied, 0);
  assert.is(twice.sessions[1]?.bytes_processed, 0, 'nothing copied the second time');
  assert.is(twice.bytes_processed, once.bytes_processed);
  assert.is(twice.interruption_count, 0);
});

test.run();
