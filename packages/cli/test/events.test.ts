import { spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  binary,
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

/** The binary running in the background, its output so far, and a way to wait for some of it. */
function background(args: string[]) {
  const child = spawn(process.execPath, [binary, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => {
    output.stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    output.stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const waitFor = async (what: string, seen: () => boolean) => {
    // A hang guard (a minute), not a timing assertion.
    for (let i = 0; i < 3000 && !seen(); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(seen(), `waited for ${what}; stdout: ${output.stdout} stderr: ${output.stderr}`);
  };
  return { child, output, exited, waitFor };
}

const progressLine = (message: string) =>
  `${JSON.stringify({ type: 'progress', timestamp: 1750000100, elapsed_seconds: 1, message, items_processed: 1, items_successful: 1, items_failed: 0 })}\n`;

test('--follow prints appended events once complete and restarts on a replaced journal', async () => {
  const { root, cleanup } = tempRoot();
  try {
    const { store } = await writeSummary(root, 'nightly', 'collect', completedRun);
    const journal = store.journalPathFor('nightly', 'collect');
    const run = background(['events', 'nightly', 'collect', '--root', root, '--follow']);
    const count = (text: string) => run.output.stdout.split(text).length - 1;
    await run.waitFor('the existing events', () => count('session_end') === 1);
    // An append in two pieces: nothing is printed until its newline arrives.
    const line = progressLine('appended later');
    appendFileSync(journal, line.slice(0, 20));
    appendFileSync(journal, line.slice(20));
    await run.waitFor('the appended event', () => count('appended later') === 1);
    appendFileSync(journal, 'not json\n');
    await run.waitFor('the corrupt line reported', () => /line 8 /.test(run.output.stderr));
    // Replaced by a shorter journal (archived and started afresh): read from the start.
    writeFileSync(journal, progressLine('fresh start'));
    await run.waitFor('the new journal', () => count('fresh start') === 1);
    assert.match(run.output.stderr, /was truncated or replaced; reading it from the start/);
    assert.is(count('session_end'), 1, 'nothing printed twice before the replacement');
    assert.is(count('appended later'), 1);
    run.child.kill('SIGINT');
    assert.is(await run.exited, 1, 'a corrupt line was met: exit 1, as without --follow');
  } finally {
    cleanup();
  }
});

test('--follow with nothing wrong exits 130 on Ctrl-C', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await writeSummary(root, 'nightly', 'collect', completedRun);
    const run = background(['events', 'nightly', 'collect', '--root', root, '--follow']);
    await run.waitFor('the existing events', () => run.output.stdout.includes('session_end'));
    run.child.kill('SIGINT');
    assert.is(await run.exited, 130);
  } finally {
    cleanup();
  }
});

test('events escapes every stored value (strings where numbers belong included) and survives malformed events', async () => {
  const { root, cleanup } = tempRoot();
  try {
    const { store } = await writeSummary(root, 'nightly', 'collect', completedRun);
    const journal = store.journalPathFor('nightly', 'collect');
    const bad = [
      // Counts, numbers and signals that are strings carrying terminal controls.
      {
        type: 'progress',
        message: 'm',
        timestamp: 1750000100,
        items_processed: HOSTILE,
        items_successful: HOSTILE,
        items_failed: HOSTILE,
      },
      { type: 'session_start', session: { number: HOSTILE, host: HOSTILE, pid: HOSTILE } },
      { type: 'session_end', number: HOSTILE, end_reason: HOSTILE, signal: HOSTILE },
      // Fields missing altogether, or of another shape.
      { type: 'session_start' },
      { type: 'session_end' },
      { type: 'progress', timestamp: 1e300 },
      { type: 'error', time: -1e300 },
      { type: 'interruption', reason: { nested: HOSTILE } },
      { type: HOSTILE, value: HOSTILE },
    ];
    appendFileSync(journal, bad.map((e) => `${JSON.stringify(e)}\n`).join(''));
    appendFileSync(journal, '{"type":"progress","message":"last line","timestamp":1750000200}\n');
    const result = cli(['events', 'nightly', 'collect', '--root', root]);
    assert.is(result.code, 0, result.stderr);
    assert.not.ok(hasRawControl(result.stdout), 'no raw control character reaches the terminal');
    assert.not.ok(hasRawControl(result.stderr));
    assert.match(result.stdout, /last line/, 'the events after the malformed ones are printed');
    assert.match(result.stdout, /session_start #\?/);
    assert.match(result.stdout, /evil\\x1b\[31m/);
  } finally {
    cleanup();
  }
});

test('an event nested too deeply to print is reported and reading goes on (text and --json)', async () => {
  const { root, cleanup } = tempRoot();
  try {
    const { store } = await writeSummary(root, 'nightly', 'collect', completedRun);
    const journal = store.journalPathFor('nightly', 'collect');
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    appendFileSync(journal, `{"type":"custom","value":${deep}}\n`);
    appendFileSync(journal, '{"type":"progress","message":"last line","timestamp":1750000200}\n');
    for (const format of [[], ['--json']]) {
      const result = cli(['events', 'nightly', 'collect', '--root', root, ...format]);
      assert.is(result.code, 1, result.stderr);
      assert.match(result.stderr, /nested too deeply to print/);
      assert.not.match(result.stderr, /Maximum call stack/);
      assert.match(result.stdout, /last line/, 'the events after it are printed');
    }
  } finally {
    cleanup();
  }
});

test.run();
