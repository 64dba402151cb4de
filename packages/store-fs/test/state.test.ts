import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { thisHostTag } from '../src/atomic-write.js';
import { FileSummaryStore } from '../src/index.js';
import { STATE_PREFIX, statePathsFor } from '../src/layout.js';
import { currentOwner } from '../src/owner.js';
import { FaultyFs } from './_faulty-fs.js';
import { listDir, makeSummary, recordingLogger, removeDir, tempDir } from './_helpers.js';
import { killMomentOf, runAndKill } from './_kill-loop.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

type Ctx = { dir: string; root: string };

async function fails(action: () => Promise<unknown>, code: string): Promise<Error> {
  try {
    await action();
  } catch (err) {
    assert.is((err as { code?: unknown }).code, code, String(err));
    return err as Error;
  }
  assert.unreachable(`expected ${code}`);
  throw new Error('unreachable');
}

/** The root's entries that are not the document itself: temp files, locks, stale copies. */
async function leftovers(root: string): Promise<string[]> {
  return (await listDir(root)).filter((name) => !name.endsWith('.json'));
}

/** A pid no process has: a child that ran and was reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('close', resolve));
  return child.pid as number;
}

function setup(name: string) {
  const test = suite<Ctx>(name);
  test.before.each(async (ctx) => {
    ctx.dir = await tempDir('store-fs-state-');
    ctx.root = join(ctx.dir, 'runs');
  });
  test.after.each(async (ctx) => {
    await removeDir(ctx.dir);
  });
  return test;
}

// ---------------------------------------------------------------- on disk

const disk = setup('consumer state on disk');

disk(
  'a document is a regular file directly in the root, named with the reserved prefix',
  async ({ root }) => {
    const store = new FileSummaryStore({ root, logger: recordingLogger() });
    await store.writeState('alerts/default', { firing: [] }, null);
    assert.equal(await listDir(root), [`${STATE_PREFIX}alerts~default.json`]);
    const doc = JSON.parse(
      await readFile(join(root, `${STATE_PREFIX}alerts~default.json`), 'utf8'),
    );
    assert.is(doc.format, 'process-summary-state');
    assert.is(doc.format_version, 1);
    assert.is(doc.key, 'alerts/default');
    assert.is(doc.version, 1);
    assert.equal(doc.value, { firing: [] });
    assert.type(doc.written_at, 'string');
  },
);

disk('the root is created when it does not exist yet', async ({ root }) => {
  const store = new FileSummaryStore({ root: join(root, 'deeper'), logger: recordingLogger() });
  assert.is(await store.readState('a'), null);
  assert.is(await store.writeState('a', 1, null), 1);
  assert.equal(await store.readState('a'), { value: 1, version: 1 });
});

disk(
  'keys too long for one file name get a hashed name, distinct and under NAME_MAX',
  async ({ root }) => {
    const keys = [
      Array.from({ length: 4 }, () => 'a'.repeat(64)).join('/'),
      `${Array.from({ length: 3 }, () => 'a'.repeat(64)).join('/')}/${'a'.repeat(63)}b`,
      'a/b',
      'a.b',
      'a-b',
      'a_b',
      'ab',
    ];
    const names = keys.map((key) => statePathsFor(root, key).document.slice(root.length + 1));
    assert.is(new Set(names).size, keys.length, 'every key has its own file');
    for (const name of names) {
      // With the temp file's additions (a leading dot, pid, host tag, counter, .tmp).
      assert.ok(Buffer.byteLength(`.${name}.4194304.0123abcd.0123456789abcdef.tmp`) <= 255, name);
    }
    const store = new FileSummaryStore({ root, logger: recordingLogger() });
    for (const [i, key] of keys.entries()) await store.writeState(key, i, null);
    for (const [i, key] of keys.entries()) {
      assert.equal(await store.readState(key), { value: i, version: 1 });
    }
  },
);

disk(
  'a run name with the reserved prefix is refused, and such a directory is never listed',
  async ({ root }) => {
    const store = new FileSummaryStore({ root, logger: recordingLogger() });
    for (const runName of [`${STATE_PREFIX}x`, `.${STATE_PREFIX}x`]) {
      const { summary } = makeSummary(runName, 'collect');
      await fails(() => store.save(summary), 'E_INVALID_NAME');
      await fails(() => store.read({ runName, processName: 'collect' }), 'E_INVALID_NAME');
      assert.throws(() => store.pathFor(runName, 'collect'), /reserved/);
    }
    // Made by hand (or by an older version): not a run of this store.
    await mkdir(join(root, `${STATE_PREFIX}x`), { recursive: true });
    await writeFile(join(root, `${STATE_PREFIX}x`, 'process_summary_collect.json'), '{}');
    await store.save(makeSummary('real', 'collect').summary);
    assert.equal(
      (await store.list()).summaries.map((s) => s.runName),
      ['real'],
    );
  },
);

disk(
  'a torn, empty, foreign or non-JSON document is E_CORRUPT for read and write, and left as it is',
  async ({ root }) => {
    const store = new FileSummaryStore({ root, logger: recordingLogger() });
    await store.writeState('other', { n: 1 }, null);
    const path = statePathsFor(root, 'doc').document;
    const good = await readFile(statePathsFor(root, 'other').document, 'utf8');
    const damaged = [
      '',
      good.slice(0, good.length / 2),
      'not json',
      '[1, 2]',
      '{"format":"something-else","format_version":1,"key":"doc","version":1,"value":1}',
      // A copy of another key's document.
      good,
      '{"format":"process-summary-state","format_version":1,"key":"doc","version":0,"value":1}',
      '{"format":"process-summary-state","format_version":1,"key":"doc","version":1}',
      '\u0000'.repeat(64),
    ];
    for (const text of damaged) {
      await writeFile(path, text);
      const err = await fails(() => store.readState('doc'), 'E_CORRUPT');
      assert.match(err.message, path);
      for (const expected of [null, 1, 2]) {
        await fails(() => store.writeState('doc', { n: 2 }, expected), 'E_CORRUPT');
      }
      assert.is(await readFile(path, 'utf8'), text, 'the document is left as found');
    }
    assert.equal(await leftovers(root), [], 'no lock or temp file left');
  },
);

disk(
  'a document of a newer format is E_UNSUPPORTED_VERSION; a symbolic link is E_UNREADABLE',
  async ({ root }) => {
    const store = new FileSummaryStore({ root, logger: recordingLogger() });
    await store.writeState('target', 1, null);
    const path = statePathsFor(root, 'doc').document;
    await writeFile(
      path,
      '{"format":"process-summary-state","format_version":2,"key":"doc","version":1,"value":1}',
    );
    await fails(() => store.readState('doc'), 'E_UNSUPPORTED_VERSION');
    await fails(() => store.writeState('doc', 2, 1), 'E_UNSUPPORTED_VERSION');
    const linked = statePathsFor(root, 'linked').document;
    await symlink(statePathsFor(root, 'target').document, linked);
    await fails(() => store.readState('linked'), 'E_UNREADABLE');
    await fails(() => store.writeState('linked', 2, null), 'E_UNREADABLE');
  },
);

disk(
  'a lock left by a dead process on this host is broken at once, and its leftovers removed',
  async ({ root }) => {
    const logger = recordingLogger();
    const store = new FileSummaryStore({ root, logger });
    await store.writeState('doc', { n: 1 }, null);
    const pid = await deadPid();
    const { lock } = statePathsFor(root, 'doc');
    const record = {
      format: 'process-summary-state-lock',
      host: hostname(),
      host_tag: thisHostTag(),
      pid_namespace: currentOwner().pidNamespace,
      pid,
      pid_start: null,
      token: 'dead',
      since: Date.now() / 1000,
    };
    await writeFile(lock, JSON.stringify(record));
    const deadTemp = join(root, `.${STATE_PREFIX}doc.json.${pid}.${thisHostTag()}.1.tmp`);
    await writeFile(deadTemp, 'half a document');
    // A release killed between moving its lock aside and removing it.
    await writeFile(`${lock}.stale-0123abcd`, JSON.stringify({ ...record, token: 'released' }));
    assert.is(await store.writeState('doc', { n: 2 }, 1), 2);
    assert.equal(await store.readState('doc'), { value: { n: 2 }, version: 2 });
    assert.equal(await leftovers(root), [], 'the lock and the dead writer’s temp file are gone');
    assert.ok(logger.lines.some((l) => l.level === 'warn' && /broke the lock/.test(l.message)));
  },
);

disk(
  'a lock of another host, or an unreadable one, is broken once it is older than 30 s',
  async ({ root }) => {
    const store = new FileSummaryStore({ root, logger: recordingLogger() });
    await store.writeState('doc', { n: 1 }, null);
    const { lock } = statePathsFor(root, 'doc');
    await writeFile(
      lock,
      JSON.stringify({
        format: 'process-summary-state-lock',
        host: 'another-host',
        host_tag: '00000000',
        pid_namespace: null,
        pid: 1,
        pid_start: null,
        token: 'elsewhere',
        since: 0,
      }),
    );
    const old = Date.now() / 1000 - 120;
    await utimes(lock, old, old);
    assert.is(await store.writeState('doc', { n: 2 }, 1), 2);
    assert.equal(await leftovers(root), []);
    // An unreadable lock is judged by its age alike.
    await writeFile(lock, 'garbage');
    await utimes(lock, old, old);
    assert.is(await store.writeState('doc', { n: 3 }, 2), 3);
    assert.equal(await leftovers(root), []);
  },
);

disk.run();

// ---------------------------------------------------------------- faults

const faults = setup('consumer state under faults');

const isDocumentTemp = (path: string) => /\.json\.\d+\.[0-9a-f]{8}\.[0-9a-f]+\.tmp$/.test(path);
const cases: { title: string; fault: Parameters<FaultyFs['inject']>[0] }[] = [
  {
    title: 'ENOSPC on the temp write',
    fault: { op: 'write', match: isDocumentTemp, errno: 'ENOSPC' },
  },
  { title: 'a short write', fault: { op: 'write', match: isDocumentTemp, shortWrite: true } },
  { title: 'EIO on the fsync', fault: { op: 'sync', match: isDocumentTemp, errno: 'EIO' } },
  { title: 'EROFS on the rename', fault: { op: 'rename', match: isDocumentTemp, errno: 'EROFS' } },
  {
    title: 'ENOSPC creating the lock',
    fault: { op: 'write', match: (p) => p.includes('.lock.'), errno: 'ENOSPC' },
  },
];
for (const { title, fault } of cases) {
  faults(
    `${title} rejects with E_IO and leaves the old document intact, unlocked`,
    async ({ root }) => {
      const fs = new FaultyFs();
      const store = new FileSummaryStore({ root, logger: recordingLogger(), fs });
      await store.writeState('alerts/default', { n: 1, text: 'old' }, null);
      const path = statePathsFor(root, 'alerts/default').document;
      const before = await readFile(path);
      fs.inject({ ...fault, times: 1 });
      await fails(
        () => store.writeState('alerts/default', { n: 2, text: 'x'.repeat(10_000) }, 1),
        'E_IO',
      );
      assert.ok(
        fs.calls.some((c) => c.op === fault.op && (fault.match?.(c.path) ?? true)),
        'the fault was met',
      );
      assert.equal(await readFile(path), before, 'byte for byte');
      assert.equal(await store.readState('alerts/default'), {
        value: { n: 1, text: 'old' },
        version: 1,
      });
      assert.equal(await leftovers(root), [], 'no temp file, no lock');
      assert.is(await store.writeState('alerts/default', { n: 2 }, 1), 2, 'the next write works');
    },
  );
}

faults.run();

// ---------------------------------------------------------------- processes

const processes = setup('consumer state between processes');

function startRacer(root: string, writer: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(join(fixtures, 'state-race.mjs'), [root, writer], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.once('error', reject);
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`racer ${writer} exited with ${code}`)));
  });
}

interface RaceAnswer {
  round: number;
  won: boolean;
  version?: number;
  code?: string | null;
  message?: string;
}

function answer(child: ChildProcess): Promise<RaceAnswer> {
  return new Promise((resolve) => child.once('message', (m) => resolve(m as RaceAnswer)));
}

processes(
  'two processes writing with the same expected version: exactly one wins, every round',
  async ({ root }) => {
    const store = new FileSummaryStore({ root, logger: recordingLogger() });
    const racers = await Promise.all([startRacer(root, 'a'), startRacer(root, 'b')]);
    const ROUNDS = 150;
    const wins = { a: 0, b: 0 };
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const expected = round === 0 ? null : round;
        const answers = racers.map(answer);
        for (const racer of racers) racer.send({ round, expected });
        const [a, b] = (await Promise.all(answers)) as [RaceAnswer, RaceAnswer];
        const winners = [a, b].filter((x) => x.won);
        assert.is(winners.length, 1, `round ${round}: ${JSON.stringify([a, b])}`);
        const loser = a.won ? b : a;
        assert.is(loser.code, 'E_CONFLICT', `round ${round}: ${loser.message}`);
        assert.is(winners[0]?.version, round + 1);
        wins[a.won ? 'a' : 'b'] += 1;
        const read = await store.readState('race/doc');
        assert.equal(read, { value: { round, writer: a.won ? 'a' : 'b' }, version: round + 1 });
      }
    } finally {
      for (const racer of racers) {
        if (racer.connected) racer.send({ type: 'exit' });
      }
      await Promise.all(
        racers.map((racer) => new Promise((resolve) => racer.once('close', resolve))),
      );
    }
    process.stdout.write(`\n  state race: ${ROUNDS} rounds, wins a=${wins.a} b=${wins.b}\n`);
    assert.equal(await leftovers(root), []);
  },
);

processes(
  'a writer SIGKILLed at random moments leaves a complete document, never older than its last resolved write',
  async ({ root }) => {
    const KILLS = 60;
    const stateLoop = join(fixtures, 'state-loop.mjs');
    let floor = 0;
    let writerWrites = 0;
    for (let round = 0; round < KILLS; round++) {
      const moment = killMomentOf(round);
      const { lastReported } = await runAndKill(stateLoop, root, 'wrote', moment);
      if (moment === 'after-first-resolved') assert.ok(lastReported > floor, 'a write resolved');
      if (lastReported > floor) writerWrites += 1;
      floor = Math.max(floor, lastReported);
      // A store of its own each time: a fresh one sweeps dead writers' temp files first.
      const store = new FileSummaryStore({ root, logger: recordingLogger() });
      const read = await store.readState('crash/doc');
      if (floor === 0 && read === null) continue;
      assert.ok(read, 'a document exists once a write resolved');
      const n = read.version;
      assert.ok(n >= floor, `version ${n}, a write of ${floor} had resolved`);
      assert.ok(n <= floor + 1, `version ${n}: at most the write in flight landed`);
      assert.equal(read.value, {
        n,
        pad: String(n % 10).repeat((n * 7919) % 200_000),
        tail: `end of ${n}`,
      });
      // The killed writer's lock (if it held one) does not stop the next writer.
      assert.is(await store.writeState('crash/doc', { n: n + 1, pad: '', tail: '' }, n), n + 1);
      await store.writeState(
        'crash/doc',
        {
          n: n + 2,
          pad: String((n + 2) % 10).repeat(((n + 2) * 7919) % 200_000),
          tail: `end of ${n + 2}`,
        },
        n + 1,
      );
      floor = n + 2;
      assert.equal(await leftovers(root), [], 'no lock or temp file is left behind');
    }
    process.stdout.write(
      `\n  state crash test: ${KILLS} SIGKILLs, ${writerWrites} with writes, last version ${floor}\n`,
    );
  },
);

processes.run();
