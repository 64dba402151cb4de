import { appendFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  cli,
  completedRun,
  copySeedFixtures,
  HOSTILE,
  hasRawControl,
  tempRoot,
  writeSummary,
} from './_helpers.ts';

const test = suite('events');

test('streams the journal as text and as JSON lines, hostile text escaped', async () => {
  const { root, cleanup } = tempRoot();
  try {
    const { store } = await writeSummary(root, 'nightly', 'collect', (s, clock) => {
      completedRun(s, clock);
    });
    await writeSummary(root, 'hostile', 'collect', (s) => s.addError('Bad', HOSTILE));
    const text = cli(['events', 'nightly', 'collect', '--root', root]);
    assert.is(text.code, 0, text.stderr);
    assert.match(text.stdout, /session_start #1/);
    assert.match(text.stdout, /error\s+NetworkError: Connection timeout/);
    assert.match(text.stdout, /progress\s+Processing batch 1/);
    assert.match(text.stdout, /session_end\s+#1 completed/);
    const lines = cli(['events', 'nightly', 'collect', '--root', root, '--json'])
      .stdout.trim()
      .split('\n');
    const types = lines.map((l) => (JSON.parse(l) as { type: string }).type);
    assert.equal(types, ['session_start', 'error', 'error', 'error', 'progress', 'session_end']);
    const hostile = cli(['events', 'hostile', 'collect', '--root', root]);
    assert.not.ok(hasRawControl(hostile.stdout));
    assert.match(hostile.stdout, /evil\\x1b\[31m/);
    // A corrupt line in the middle is reported and the rest still printed; exit 1.
    appendFileSync(
      store.journalPathFor('nightly', 'collect'),
      'not json\n{"type":"progress","message":"after","timestamp":1750000100,"items_processed":1,"items_successful":1,"items_failed":0}\n',
    );
    const corrupt = cli(['events', 'nightly', 'collect', '--root', root]);
    assert.is(corrupt.code, 1);
    assert.match(corrupt.stderr, /line 7/);
    assert.match(corrupt.stdout, /after/);
  } finally {
    cleanup();
  }
});

test('a seed-format run has no journal; a missing process exits 3; the process is required', () => {
  const { root, cleanup } = tempRoot();
  try {
    copySeedFixtures(root);
    const seed = cli(['events', 'harvard_2024', 'collect', '--root', root]);
    assert.is(seed.code, 0);
    assert.match(seed.stderr, /no journal/);
    assert.is(cli(['events', 'harvard_2024', 'nope', '--root', root]).code, 3);
    assert.is(cli(['events', 'harvard_2024', '--root', root]).code, 2);
  } finally {
    cleanup();
  }
});

test.run();
