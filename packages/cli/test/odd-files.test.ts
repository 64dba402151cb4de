import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { binary, type CliResult, nowSeconds, tempRoot, writeSummary } from './_helpers.ts';

const test = suite('odd files');

/** Runs the binary; a run still going after 20 s is killed and reported as hung. */
function run(args: string[]): Promise<CliResult & { hung: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binary, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '', PROCESS_SUMMARY_ROOT: '' },
    });
    let stdout = '';
    let stderr = '';
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, 20_000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, hung });
    });
  });
}

const KINDS = ['fifo', 'socket', 'directory', 'symlink'] as const;
type Kind = (typeof KINDS)[number];

function typeOf(path: string): string {
  const s = lstatSync(path);
  return s.isFIFO()
    ? 'fifo'
    : s.isSocket()
      ? 'socket'
      : s.isDirectory()
        ? 'directory'
        : s.isSymbolicLink()
          ? 'symlink'
          : 'file';
}

async function place(kind: Kind, path: string, outside: string): Promise<Server | null> {
  rmSync(path, { recursive: true, force: true });
  if (kind === 'fifo') execFileSync('mkfifo', [path]);
  if (kind === 'directory') mkdirSync(path);
  if (kind === 'symlink') symlinkSync(outside, path);
  if (kind !== 'socket') return null;
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return server;
}

const COMMANDS = [
  ['list'],
  ['show', 'nightly', 'collect'],
  ['events', 'nightly', 'collect'],
  ['validate', 'nightly', 'collect'],
  ['repair', 'nightly', 'collect'],
  ['check', 'nightly'],
  ['export', 'nightly', '--format', 'prometheus'],
];

for (const slot of ['journal', 'backup', 'owner'] as const) {
  test(`a FIFO, socket, directory or link to an outside file where the ${slot} belongs: every command answers at once, follows nothing out, changes nothing`, async () => {
    const { root, cleanup } = tempRoot();
    try {
      // A running summary saved just now, twice (so it has a backup), and a second process.
      const { store, summary } = await writeSummary(
        root,
        'nightly',
        'collect',
        (s) => s.incrementItems({ processed: 3, successful: 3 }),
        { start: nowSeconds() },
      );
      summary.addProgressUpdate('batch');
      await store.save(summary);
      await writeSummary(root, 'nightly', 'other', () => {}, { start: nowSeconds() });
      const path = store.pathsFor({ runName: 'nightly', processName: 'collect' })[slot];
      const outside = join(root, '..', `outside-${slot}`);
      for (const kind of KINDS) {
        writeFileSync(outside, 'OUTSIDE BYTES\n');
        const server = await place(kind, path, outside);
        try {
          const results = await Promise.all(
            COMMANDS.map((command) => run([...command, '--root', root])),
          );
          results.forEach((result, i) => {
            const what = `${slot} ${kind}: ${COMMANDS[i]?.join(' ')}`;
            assert.not.ok(result.hung, `${what} never blocks`);
            assert.is.not(result.code, null, what);
          });
          assert.is(readFileSync(outside, 'utf8'), 'OUTSIDE BYTES\n', `${kind}: outside untouched`);
          assert.is(typeOf(path), kind, `${kind}: left where it was, as it was`);
          const [list, show, events, validate, repair] = results;
          // show, validate and repair read the summary, and say what stands where its
          // journal, backup or owner record belongs: one warning line naming it.
          for (const [name, result] of [
            ['show', show],
            ['validate', validate],
            ['repair', repair],
          ] as const) {
            const lines = (result?.stderr ?? '')
              .split('\n')
              .filter((l) => l.includes(path) && l.includes('not a regular file'));
            assert.is(lines.length, 1, `${slot} ${kind}: ${name} warns once: ${result?.stderr}`);
            assert.match(
              lines[0] ?? '',
              kind === 'symlink' ? 'symbolic link' : kind === 'fifo' ? 'a FIFO' : kind,
            );
          }
          // The listing goes on past the odd file: both processes are listed.
          assert.match(list?.stdout ?? '', /other/, `${slot} ${kind}: list`);
          assert.match(list?.stdout ?? '', /collect/, `${slot} ${kind}: list`);
          if (slot === 'journal') {
            assert.is.not(events?.code, 0, `${kind}: events reports the journal`);
            assert.ok(events?.stderr.includes(path), `${kind}: events names the journal`);
          }
          if (slot === 'owner') {
            assert.match(
              show?.stdout ?? '',
              /owner cannot be judged \(the owner record is not a regular file/,
            );
          }
        } finally {
          if (server !== null) await new Promise((resolve) => server.close(resolve));
        }
      }
    } finally {
      rmSync(join(root, '..', `outside-${slot}`), { force: true });
      cleanup();
    }
  });
}

test.run();
