/**
 * One worker process of the multi-process benchmarks (throughput.bench.ts, kill.bench.ts),
 * started by _fleet.ts with its configuration as JSON in argv[2].
 *
 * A standby (no worker in its ref) loads everything, says `standby`, and waits for
 * `take <worker>`: a process restarted by a supervisor after a crash, without the start-up of
 * node itself counted in the takeover.
 *
 * It makes ready what its contenders need (`store`: a PgSummaryStore of its own, its ref
 * acquired, with retries while a killed owner's lease has not expired, and loaded; `bare`: one
 * pg connection upserting the document as jsonb into `bareTable`; `notify`: the same upsert
 * into `<bareTable>_notify` with a pg_notify in the same statement, as the store notifies
 * watchers), says `ready`, then obeys lines on stdin:
 * - `go <store|bare|notify> <ms>`: increments the summary 100 times and saves it, as fast as it can,
 *   for `ms` milliseconds (0: until `stop`); each acknowledged save prints `a <items_processed>`
 *   (and, with `announceSaves`, each save started prints `s` first), then `done` with the
 *   latencies;
 * - `stop`: ends the current `go` after the save in flight;
 * - `exit`: releases the lease, closes, exits.
 * Plain JavaScript, not TypeScript through tsx: a process starts in a third of the CPU time,
 * which decides how fast killed workers can be replaced on a machine busy with 32 savers.
 *
 * Everything it prints goes out with writeSync: a line printed is a line the parent gets, even
 * when the process is SIGKILLed right after.
 */
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { PgSummaryStore } from '@process-summary/store-pg';
import pg from 'pg';
import { typicalSummary } from './_summary.mjs';

/** @type {import('./_fleet.js').WorkerConfig} */
const config = JSON.parse(process.argv[2] ?? '{}');
const say = (line) => writeSync(1, `${line}\n`);
const sayJson = (message) => say(JSON.stringify(message));
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function fail(stage, err) {
  const e = err;
  sayJson({ event: 'error', stage, code: e?.code ?? null, message: e?.message ?? String(err) });
  process.exit(1);
}

const ref = { ...config.ref };
/** @type {PgSummaryStore | null} */
let store = null;
let lease = null;
let storeSummary = null;
let client = null;
const bareSummaries = { bare: null, notify: null };
const upsert = (table) => `INSERT INTO ${table} (run_name, process_name, worker, doc)
  VALUES ($1, $2, $3, $4::jsonb)
  ON CONFLICT (run_name, process_name, worker) DO UPDATE SET doc = excluded.doc, updated_at = now()`;
const SQL = {
  bare: upsert(config.bareTable),
  notify: `WITH saved AS (${upsert(`${config.bareTable}_notify`)} RETURNING 1)
    SELECT pg_notify($5, $6) FROM saved`,
};

async function prepare() {
  if (config.modes.includes('store')) {
    store = new PgSummaryStore({
      url: config.url,
      schema: config.schema,
      poolSize: 2,
      staleAfterSeconds: config.staleAfterSeconds,
      logger: silent,
    });
    const started = Date.now();
    let attempts = 0;
    for (;;) {
      attempts += 1;
      try {
        const acquired = await store.acquire(ref, { staleAfterSeconds: config.staleAfterSeconds });
        lease = acquired.lease;
        const previous = acquired.previous;
        sayJson({
          event: 'acquired',
          epoch: lease.epoch,
          attempts,
          waitedMs: Date.now() - started,
          previous:
            previous === null
              ? null
              : { reason: previous.reason, epoch: previous.owner?.epoch ?? null },
        });
        break;
      } catch (err) {
        const code = err?.code;
        if (code !== 'E_CONCURRENT_RUN' || Date.now() - started > config.acquireLimitMs) {
          fail('acquire', err);
        }
        await sleep(100);
      }
    }
    const loaded = await store.load(ref);
    storeSummary =
      loaded?.summary ?? typicalSummary(ref.runName, ref.processName, ref.worker ?? null);
    sayJson({ event: 'loaded', found: loaded !== null, processed: storeSummary.itemsProcessed });
    if (config.renewMs > 0) {
      const timer = setInterval(() => {
        if (store !== null && lease !== null) {
          store.renew(lease).catch((err) => fail('renew', err));
        }
      }, config.renewMs);
      timer.unref();
    }
  }
  for (const mode of ['bare', 'notify']) {
    if (config.modes.includes(mode)) {
      bareSummaries[mode] = typicalSummary(ref.runName, ref.processName, ref.worker ?? null);
    }
  }
  if (config.modes.includes('bare') || config.modes.includes('notify')) {
    client = new pg.Client({ connectionString: config.url });
    await client.connect();
  }
}

let stopping = false;

async function go(mode, ms) {
  stopping = false;
  const summary = mode === 'store' ? storeSummary : bareSummaries[mode];
  if (summary === null) fail('go', new Error(`not prepared for ${mode}`));
  const save =
    mode === 'store'
      ? () => store.save(summary, lease)
      : () =>
          client.query(SQL[mode], [
            ref.runName,
            ref.processName,
            ref.worker,
            JSON.stringify(summary.getSummaryDict()),
            ...(mode === 'notify'
              ? [`${config.bareTable.replace('.', '_')}_changes`, JSON.stringify(ref)]
              : []),
          ]);
  const latencies = [];
  const started = process.hrtime.bigint();
  const deadline = ms > 0 ? started + BigInt(ms) * 1_000_000n : null;
  while (!stopping && (deadline === null || process.hrtime.bigint() < deadline)) {
    for (let i = 0; i < 100; i++) summary.incrementItems({ processed: 1, successful: 1 });
    if (config.announceSaves) say('s');
    const t0 = process.hrtime.bigint();
    try {
      await save();
    } catch (err) {
      fail(`save (${mode})`, err);
    }
    latencies.push(Number(process.hrtime.bigint() - t0));
    say(`a ${summary.itemsProcessed}`);
  }
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  sayJson({ event: 'done', mode, saves: latencies.length, elapsedMs, latencies });
}

let running = Promise.resolve();

async function exit() {
  try {
    if (store !== null && lease !== null) await store.release(lease);
    await store?.close();
    await client?.end();
  } catch (err) {
    fail('exit', err);
  }
  sayJson({ event: 'closed' });
  process.exit(0);
}

async function start() {
  try {
    await prepare();
  } catch (err) {
    fail('prepare', err);
  }
  sayJson({ event: 'ready', pid: process.pid });
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, mode, ms] = line.trim().split(' ');
  if (command === 'take' && ref.worker === '') {
    ref.worker = mode ?? '';
    running = start();
  } else if (command === 'go')
    running = running.then(() =>
      go(mode === 'bare' || mode === 'notify' ? mode : 'store', Number(ms)),
    );
  else if (command === 'stop') stopping = true;
  else if (command === 'exit') running = running.then(exit);
});
if (ref.worker === '') sayJson({ event: 'standby', pid: process.pid });
else running = start();
