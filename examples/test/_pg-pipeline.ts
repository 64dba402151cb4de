/**
 * A pipeline on the PostgreSQL store, driven one step at a time by the test on its stdin so
 * that what happens to the server between two steps is the test's choice, not a race.
 *
 *   _pg-pipeline.ts URL SCHEMA RUN
 *
 * Commands (one a line): `step` does 10 items (9 successful, 1 failed, one error, one
 * progress update) and saves with `saveProcessSummary`; `run` does steps as fast as it can
 * until `end`, saying {"event":"saves","ok":N} every 25 saves that succeeded; `end` ends the
 * process and saves. Replies and log lines are JSON lines on stdout:
 * {"event":"ready"|"step"|"saves"|"ended"|"log", …}.
 */
import { createInterface } from 'node:readline';
import { createProcessSummary, saveProcessSummary } from '@process-summary/recovery';

const [url, schema, run] = process.argv.slice(2) as [string, string, string];
const say = (message: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`);
};
const log =
  (level: string) =>
  (fields: Record<string, unknown>, message: string): void =>
    say({ event: 'log', level, code: fields.code ?? null, message });
const logger = { debug: () => {}, info: log('info'), warn: log('warn'), error: log('error') };

const storeUrl = new URL(url);
storeUrl.searchParams.set('schema', schema);
// The store named as a user names it: recovery opens the PostgreSQL store (and closes it at the end).
const summary = await createProcessSummary(run, 'pipe', {
  store: storeUrl.href,
  logger,
  // Every save is a step's: a heartbeat saving behind the test's back would blur which
  // save failed during the outage.
  heartbeatSeconds: 0,
});
summary.setItemsTotal(1000);
const counts = () => ({
  items_processed: summary.itemsProcessed,
  error_count: summary.errorCount,
  progress_updates_count: summary.progressUpdatesCount,
});
say({
  event: 'ready',
  pid: process.pid,
  interruption_count: summary.interruptionCount,
  sessions: summary.sessions.map((s) => s.end_reason),
  ...counts(),
});

let steps = 0;
let saved = 0;
let failed = 0;
async function step(): Promise<boolean> {
  steps += 1;
  summary.incrementItems({ processed: 10, successful: 9, failed: 1, bytes: 1000 });
  summary.addError('BadItem', `item ${summary.itemsProcessed} of step ${steps} failed`);
  summary.checkpoint();
  summary.addProgressUpdate(`step ${steps}`, { step: steps });
  const ok = await saveProcessSummary(summary);
  if (ok) saved += 1;
  else failed += 1;
  return ok;
}

let running: Promise<void> | null = null;
let stop = false;
for await (const command of createInterface({ input: process.stdin })) {
  if (command === 'step') {
    const ok = await step();
    say({ event: 'step', step: steps, ok, ...counts() });
  } else if (command === 'run') {
    running = (async () => {
      while (!stop) {
        if (await step()) {
          if (saved % 25 === 0) say({ event: 'saves', ok: saved });
        } else {
          // The server is away: go on working, a little slower than flat out.
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    })();
  } else if (command === 'end') {
    stop = true;
    await running;
    summary.endProcess();
    const ok = await saveProcessSummary(summary);
    say({ event: 'ended', ok, steps, saved, failed, ...counts() });
    break;
  }
}
// Leaving the loop does not let go of stdin, which would keep this process alive.
process.stdin.destroy();
