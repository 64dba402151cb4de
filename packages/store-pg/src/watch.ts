import { randomUUID } from 'node:crypto';
import type { Logger } from '@process-summary/core';
import { assertValidRef, type SummaryRef } from '@process-summary/core';
import type pg from 'pg';
import type { Database } from './db.js';

/** A registered watcher not seen for this long no longer makes writers notify. */
export const LISTENER_TTL_SECONDS = 90;
/** How often a watcher renews its registration. */
const LISTENER_RENEW_MS = 30_000;
/**
 * How often a connected watcher also catches up by snapshot: a write that began before the
 * watcher registered did not notify, and is found this way.
 */
const CATCH_UP_MS = 5_000;

export interface WatchContext {
  db: Database;
  /** The schema as SQL names it (quoted). */
  schema: string;
  channel: string;
  ready: () => Promise<void>;
  signal: AbortSignal;
  logger: Logger;
  /** Wait between attempts to (re)connect, milliseconds. */
  retryMs: number;
  /** Told of the work that ends a watch once its signal aborts (the store's `close` awaits it). */
  track(ending: Promise<void>): void;
}

interface ChangedRow {
  run_name: string;
  process_name: string;
  worker: string;
}

/**
 * The refs that change, from LISTEN on one dedicated connection. The watcher registers in the
 * `listeners` table; while one is registered every write notifies in its own transaction, so a
 * notification arrives only for a committed change. Besides, every few seconds and after each
 * reconnect (a server restart, a proxy timeout), it reports every ref changed by a transaction
 * that its previous snapshot did not see (each row keeps the id of the transaction that last
 * changed it): commit order, so neither a long transaction that committed during a reconnect
 * nor a write that began before the watcher registered is missed. Nothing is fatal; a ref may
 * be reported twice (the contract allows it). A ref already waiting for the consumer is not
 * queued again, so a slow consumer holds at most one entry per ref.
 */
export async function* watchChanges(ctx: WatchContext): AsyncGenerator<SummaryRef> {
  const { signal } = ctx;
  const queue = new Map<string, SummaryRef>();
  let wake: (() => void) | null = null;
  const poke = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  const enqueue = (ref: SummaryRef) => {
    const key = JSON.stringify([ref.runName, ref.processName, ref.worker ?? null]);
    if (queue.has(key)) return;
    queue.set(key, ref);
    poke();
  };
  signal.addEventListener('abort', poke);
  let client: pg.Client | null = null;
  let broken = false;
  /** The snapshot of the last catch-up, or null before the first connection. */
  let snapshot: string | null = null;
  const listenerId = randomUUID();
  let lastCatchUp = 0;
  let lastRenew = 0;
  const ticker = setInterval(poke, Math.min(CATCH_UP_MS, LISTENER_RENEW_MS));
  ticker.unref();

  const register = async (on: pg.Client) => {
    await on.query(
      `INSERT INTO ${ctx.schema}.listeners (id, seen_at) VALUES ($1, now())
       ON CONFLICT (id) DO UPDATE SET seen_at = now()`,
      [listenerId],
    );
    lastRenew = Date.now();
  };

  const catchUp = async (on: pg.Client) => {
    await on.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    try {
      const now = await on.query<{ snapshot: string }>(
        'SELECT pg_current_snapshot()::text AS snapshot',
      );
      if (snapshot !== null) {
        const changed = await on.query<ChangedRow>(
          `SELECT run_name, process_name, worker FROM ${ctx.schema}.summaries
           WHERE NOT pg_visible_in_snapshot(change_xid, $1::pg_snapshot)`,
          [snapshot],
        );
        for (const row of changed.rows) {
          enqueue({
            runName: row.run_name,
            processName: row.process_name,
            worker: row.worker === '' ? null : row.worker,
          });
        }
      }
      snapshot = now.rows[0]?.snapshot ?? snapshot;
    } finally {
      await on.query('COMMIT');
    }
    lastCatchUp = Date.now();
  };

  const connect = async (): Promise<void> => {
    await ctx.ready();
    const next = ctx.db.dedicatedClient();
    broken = false;
    next.on('error', (err) => {
      if (client === next) {
        broken = true;
        ctx.logger.warn(
          { err: String(err.message) },
          'process-summary: watch lost its PostgreSQL connection; reconnecting',
        );
        poke();
      }
    });
    next.on('end', () => {
      if (client === next && !signal.aborted) {
        broken = true;
        poke();
      }
    });
    next.on('notification', (message) => {
      if (message.channel !== ctx.channel || message.payload === undefined) return;
      const ref = parseKey(message.payload);
      if (ref !== null) enqueue(ref);
    });
    client = next;
    // An abort while the server is slow to answer ends the watch now, not at the connect timeout.
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = () => reject(new Error('aborted'));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => {});
    await Promise.race([next.connect(), aborted]);
    await Promise.race([next.query(`LISTEN "${ctx.channel}"`), aborted]);
    // Registered and listening before looking: a change committed from now on is notified
    // (or found by the next catch-up); one committed before is found here.
    await register(next);
    await catchUp(next);
  };

  const drop = async () => {
    const old = client;
    client = null;
    if (old !== null) {
      old.removeAllListeners('notification');
      await old.end().catch(() => {});
    }
  };

  const unregister = async () => {
    await ctx.db
      .query('ending a watch', `DELETE FROM ${ctx.schema}.listeners WHERE id = $1`, [listenerId])
      .catch(() => {});
  };

  // On abort the connection goes at once, even while the consumer is busy with the last ref
  // (the generator's own finally runs only when it is pulled again).
  let ended: Promise<void> | null = null;
  const end = () => {
    ended ??= (async () => {
      clearInterval(ticker);
      await drop();
      await unregister();
    })();
    return ended;
  };
  const onAbort = () => ctx.track(end());
  signal.addEventListener('abort', onAbort, { once: true });

  try {
    while (!signal.aborted) {
      if (client === null || broken) {
        await drop();
        try {
          await connect();
        } catch (err) {
          await drop();
          if (signal.aborted) break;
          ctx.logger.warn(
            { err: String((err as Error).message ?? err) },
            'process-summary: watch cannot listen on PostgreSQL; trying again',
          );
          await pause(ctx.retryMs, signal);
          continue;
        }
      }
      const now = Date.now();
      if (
        client !== null &&
        (now - lastCatchUp >= CATCH_UP_MS || now - lastRenew >= LISTENER_RENEW_MS)
      ) {
        try {
          if (now - lastRenew >= LISTENER_RENEW_MS) await register(client);
          await catchUp(client);
        } catch {
          broken = true;
          continue;
        }
      }
      const first = queue.entries().next();
      if (!first.done) {
        const [key, ref] = first.value;
        queue.delete(key);
        yield ref;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (signal.aborted || broken || queue.size > 0) poke();
      });
    }
  } finally {
    signal.removeEventListener('abort', poke);
    signal.removeEventListener('abort', onAbort);
    await end();
  }
}

/** A ref named by a notification, or null for anything else (another program's NOTIFY). */
function parseKey(payload: string): SummaryRef | null {
  try {
    const key = JSON.parse(payload) as unknown;
    if (Array.isArray(key) && key.length === 3 && key.every((part) => typeof part === 'string')) {
      const [runName, processName, worker] = key as [string, string, string];
      const ref = { runName, processName, worker: worker === '' ? null : worker };
      assertValidRef(ref);
      return ref;
    }
  } catch {}
  return null;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
