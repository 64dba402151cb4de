import type { SummaryRef } from '@process-summary/core';
import type pg from 'pg';
import type { Database } from './db.js';
import type { Logger } from './logger.js';

export interface WatchContext {
  db: Database;
  schema: string;
  channel: string;
  ready: () => Promise<void>;
  signal: AbortSignal;
  logger: Logger;
  /** Wait between attempts to (re)connect, milliseconds. */
  retryMs: number;
}

/**
 * The refs that change, from LISTEN on one dedicated connection. Every write notifies in its
 * own transaction, so a notification arrives only for a committed change. When the connection
 * drops (a server restart, a proxy timeout), it reconnects and first reports every ref whose
 * `change_seq` moved since the last connection was made: nothing is missed, and nothing is
 * fatal (a ref may be reported twice, which the contract allows).
 */
export async function* watchChanges(ctx: WatchContext): AsyncGenerator<SummaryRef> {
  const { signal } = ctx;
  const queue: SummaryRef[] = [];
  let wake: (() => void) | null = null;
  const poke = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  signal.addEventListener('abort', poke);
  let client: pg.Client | null = null;
  let broken = false;
  /** The highest change_seq known reported, or null before the first connection. */
  let seen: string | null = null;

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
      if (ref !== null) {
        queue.push(ref);
        poke();
      }
    });
    client = next;
    await next.connect();
    await next.query(`LISTEN ${ctx.channel}`);
    // Listening before looking: a change committed from now on is notified, one committed
    // before is found here.
    const changed = await next.query<{
      run_name: string;
      process_name: string;
      worker: string;
      change_seq: string;
    }>(
      seen === null
        ? `SELECT NULL AS run_name, NULL AS process_name, NULL AS worker,
             coalesce(max(change_seq), 0) AS change_seq FROM ${ctx.schema}.summaries`
        : `SELECT run_name, process_name, worker, change_seq FROM ${ctx.schema}.summaries
           WHERE change_seq > $1 ORDER BY change_seq`,
      seen === null ? [] : [seen],
    );
    for (const row of changed.rows) {
      if (row.run_name !== null) {
        queue.push({
          runName: row.run_name,
          processName: row.process_name,
          worker: row.worker === '' ? null : row.worker,
        });
      }
      seen = row.change_seq;
    }
  };

  const drop = async () => {
    const old = client;
    client = null;
    if (old !== null) {
      old.removeAllListeners('notification');
      await old.end().catch(() => {});
    }
  };

  try {
    while (!signal.aborted) {
      if (client === null || broken) {
        await drop();
        try {
          await connect();
        } catch (err) {
          ctx.logger.warn(
            { err: String((err as Error).message ?? err) },
            'process-summary: watch cannot listen on PostgreSQL; trying again',
          );
          await drop();
          await pause(ctx.retryMs, signal);
          continue;
        }
      }
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (signal.aborted || broken || queue.length > 0) poke();
      });
    }
  } finally {
    signal.removeEventListener('abort', poke);
    await drop();
  }
}

function parseKey(payload: string): SummaryRef | null {
  try {
    const key = JSON.parse(payload) as unknown;
    if (Array.isArray(key) && key.length === 3 && key.every((part) => typeof part === 'string')) {
      const [runName, processName, worker] = key as [string, string, string];
      return { runName, processName, worker: worker === '' ? null : worker };
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
