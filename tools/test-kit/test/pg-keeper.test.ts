/**
 * The throwaway PostgreSQL keeper: a start that fails (its port taken between the probe and the
 * start, as when several test processes start servers together) is given up and another port
 * tried, instead of waiting for ever on a server that already exited.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const keeperPath = fileURLToPath(new URL('../src/pg-keeper.mjs', import.meta.url));

test('a port taken when the server starts: the keeper starts it on another port and says so', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const taken = (blocker.address() as { port: number }).port;
  const keeper = spawn(process.execPath, [keeperPath], {
    env: { ...process.env, PROCESS_SUMMARY_PG_KEEPER_FIRST_PORT: String(taken) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => keeper.once('exit', resolve));
  let guard: NodeJS.Timeout | undefined;
  try {
    const said = await Promise.race([
      new Promise<Record<string, unknown>>((resolve) =>
        createInterface({ input: keeper.stdout }).once('line', (line) => resolve(JSON.parse(line))),
      ),
      // A hang guard, not a timing assertion: without the retry the keeper never answers.
      new Promise<never>((_, reject) => {
        guard = setTimeout(
          () => reject(new Error('the keeper never said where its server is')),
          240_000,
        );
      }),
    ]);
    assert.type(said.url, 'string', JSON.stringify(said));
    assert.is.not(said.port, taken);
    assert.ok(String(said.url).includes(`127.0.0.1:${said.port}/`));
  } finally {
    clearTimeout(guard);
    keeper.stdin.end(); // the keeper stops its server when its parent's end of stdin closes
    await exited;
    blocker.close();
  }
});

test.run();
