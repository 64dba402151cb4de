import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, completedRun, nowSeconds, tempRoot, writeSummary } from './_helpers.ts';
import { get, serve, serveRefused } from './_serve.ts';

interface Ctx {
  root: string;
  cleanup: () => void;
}

const test = suite<Ctx>('serve');
test.before.each(async (ctx) => {
  Object.assign(ctx, tempRoot());
  await writeSummary(ctx.root, 'nightly', 'collect', completedRun);
  await writeSummary(ctx.root, 'nightly', 'sync', (s) => s.incrementItems({ processed: 7 }), {
    start: nowSeconds(),
  });
});
test.after.each((ctx) => ctx.cleanup());

interface RunsJson {
  store: string;
  stale_after_seconds: number;
  rows: { run_name: string; process_name: string; status: string; items_processed: number }[];
}

test('prints one URL line, answers /healthz and /api/runs with the root’s runs over HTTP, and exits 0 on Ctrl-C', async ({
  root,
}) => {
  const server = await serve(['--root', root, '--port', '0']);
  try {
    assert.match(server.line, /^dashboard: http:\/\/127\.0\.0\.1:\d+\/ \(Ctrl-C stops\)\n$/);
    const health = await get(`${server.url}healthz`);
    assert.is(health.status, 200);
    assert.is((JSON.parse(health.body) as { status: string }).status, 'ok');
    const runs = await get(`${server.url}api/runs`);
    assert.is(runs.status, 200, runs.body);
    assert.match(runs.type, /^application\/json/);
    const json = JSON.parse(runs.body) as RunsJson;
    assert.is(json.store, root);
    assert.equal(
      json.rows.map((r) => [r.run_name, r.process_name, r.status, r.items_processed]),
      [
        ['nightly', 'collect', 'completed_with_failures', 1000],
        ['nightly', 'sync', 'running', 7],
      ],
    );
  } finally {
    const end = await server.stop('SIGINT');
    assert.is(end.code, 0, server.stderr());
  }
  assert.is(server.stdout(), server.line, 'nothing but the URL line on stdout');
  assert.is(server.stderr(), '');
});

test('SIGTERM stops it cleanly too (exit 0), and the port is free again', async ({ root }) => {
  const server = await serve(['--root', root, '--port', '0']);
  const port = Number(new URL(server.url).port);
  const end = await server.stop('SIGTERM');
  assert.is(end.code, 0, server.stderr());
  const again = await serve(['--root', root, '--port', String(port)]);
  assert.is(new URL(again.url).port, String(port));
  assert.is((await again.stop()).code, 0);
});

test('--stale-after reaches the dashboard (the API reports it)', async ({ root }) => {
  const server = await serve(['--root', root, '--port', '0', '--stale-after', '10m']);
  try {
    const json = JSON.parse((await get(`${server.url}api/runs`)).body) as RunsJson;
    assert.is(json.stale_after_seconds, 600);
  } finally {
    await server.stop();
  }
});

test('--host 0.0.0.0 without a token is refused before listening: exit 2, naming --token-file and --insecure', async ({
  root,
}) => {
  const result = await serveRefused(['--root', root, '--port', '0', '--host', '0.0.0.0']);
  assert.is(result.code, 2, result.stderr);
  assert.is(result.stdout, '', 'no URL: it never listened');
  assert.match(result.stderr, /^summary-inspect: .*--token-file.*\n$/);
  assert.match(result.stderr, /--insecure/);
});

test('--host 0.0.0.0 --insecure listens without a token (the user said so)', async ({ root }) => {
  const server = await serve(['--root', root, '--port', '0', '--host', '0.0.0.0', '--insecure']);
  try {
    const port = new URL(server.url).port;
    assert.is((await get(`http://127.0.0.1:${port}/api/runs`)).status, 200);
  } finally {
    assert.is((await server.stop()).code, 0);
  }
});

test('--token-file: 401 without the token, 200 with it as a bearer or a basic-auth password; /healthz stays open', async ({
  root,
}) => {
  const file = join(root, '..', `token-${process.pid}-${Date.now()}`);
  writeFileSync(file, 's3cret-token-123\n', { mode: 0o600 });
  const server = await serve(['--root', root, '--port', '0', '--token-file', file]);
  try {
    const port = new URL(server.url).port;
    const api = `http://127.0.0.1:${port}/api/runs`;
    assert.is((await get(api)).status, 401);
    assert.is((await get(api, { authorization: 'Bearer wrong' })).status, 401);
    assert.is(
      (await get(api, { authorization: 'Bearer s3cret-token-12' })).status,
      401,
      'a prefix of the token is not the token',
    );
    assert.is((await get(api, { authorization: 'Bearer s3cret-token-123' })).status, 200);
    const basic = Buffer.from('anyone:s3cret-token-123').toString('base64');
    assert.is((await get(api, { authorization: `Basic ${basic}` })).status, 200);
    assert.is((await get(`http://127.0.0.1:${port}/healthz`)).status, 200);
    assert.is(server.stderr(), '', 'a private token file draws no warning');
  } finally {
    assert.is((await server.stop()).code, 0);
  }
});

test('a token file others can read draws a warning, and still guards the server', async ({
  root,
}) => {
  const file = join(root, 'token');
  writeFileSync(file, 'open-token\n');
  chmodSync(file, 0o644);
  const server = await serve(['--root', root, '--port', '0', '--token-file', file]);
  try {
    assert.match(
      server.stderr(),
      /^summary-inspect: warning: --token-file .*token is accessible by group or others \(mode 0644\); chmod 600 /,
    );
    assert.is((await get(`${server.url}api/runs`)).status, 401);
    assert.is(
      (await get(`${server.url}api/runs`, { authorization: 'Bearer open-token' })).status,
      200,
    );
  } finally {
    await server.stop();
  }
});

test('a missing, empty, multi-word or non-regular token file is refused before listening', async ({
  root,
}) => {
  const missing = await serveRefused([
    '--root',
    root,
    '--port',
    '0',
    '--token-file',
    join(root, 'nope'),
  ]);
  assert.is(missing.code, 3);
  assert.match(missing.stderr, /^summary-inspect: --token-file .*nope: no such file\n$/);
  assert.is(missing.stdout, '');

  const empty = join(root, 'empty');
  writeFileSync(empty, '\n', { mode: 0o600 });
  const refusedEmpty = await serveRefused(['--root', root, '--port', '0', '--token-file', empty]);
  assert.is(refusedEmpty.code, 2);
  assert.match(
    refusedEmpty.stderr,
    /--token-file .*empty is empty: put the token on its first line/,
  );
  assert.is(refusedEmpty.stdout, '');

  const words = join(root, 'words');
  writeFileSync(words, 'two words\nand a line\n', { mode: 0o600 });
  const refusedWords = await serveRefused(['--root', root, '--port', '0', '--token-file', words]);
  assert.is(refusedWords.code, 2);
  assert.match(refusedWords.stderr, /one word of printable ASCII on one line/);

  const dir = join(root, 'a-directory');
  mkdirSync(dir);
  const refusedDir = await serveRefused(['--root', root, '--port', '0', '--token-file', dir]);
  assert.is(refusedDir.code, 3);
  assert.match(
    refusedDir.stderr,
    /--token-file .*a-directory (is not a regular file|cannot be read)/,
  );
  assert.is(refusedDir.stdout, '');
});

test('--base-path /pipelines serves under it only; a base path that is not a clean path is refused', async ({
  root,
}) => {
  const server = await serve(['--root', root, '--port', '0', '--base-path', '/pipelines']);
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/pipelines\/$/);
    assert.is((await get(`${server.url}api/runs`)).status, 200);
    const origin = new URL(server.url).origin;
    assert.is((await get(`${origin}/api/runs`)).status, 404);
  } finally {
    await server.stop();
  }
  for (const bad of ['/a/../b', '/x?y=1', '/a b']) {
    const refused = await serveRefused(['--root', root, '--port', '0', '--base-path', bad]);
    assert.is(refused.code, 2, `${bad}: ${refused.stderr}`);
    assert.is(refused.stdout, '', bad);
    assert.match(refused.stderr, /^summary-inspect: .*base.?path/i, bad);
  }
});

test('a port in use is refused with its own message (E_IO, exit 3)', async ({ root }) => {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    const result = await serveRefused(['--root', root, '--port', String(port)]);
    assert.is(result.code, 3);
    assert.is(
      result.stderr,
      `summary-inspect: port ${port} is in use; pick another with --port (or --port 0 for any free one)\n`,
    );
    assert.is(result.stdout, '');
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

test('a --port that is not a port, or an argument, is a usage error', async ({ root }) => {
  for (const port of ['http', '65536', '80.5', '']) {
    const result = await serveRefused(['--root', root, '--port', port]);
    assert.is(result.code, 2, port);
    assert.match(result.stderr, /--port expects a port number from 0 to 65535/, port);
  }
  const extra = await serveRefused(['nightly', '--root', root, '--port', '0']);
  assert.is(extra.code, 2);
  assert.match(extra.stderr, /serve takes no arguments/);
});

test('serve --help lists every option it takes, and the main help lists serve', () => {
  const help = cli(['serve', '--help']);
  assert.is(help.code, 0);
  for (const option of [
    '--port N',
    '--host ADDR',
    '--base-path PATH',
    '--token-file FILE',
    '--insecure',
    '--root DIR',
    '--store URL',
    '--stale-after DUR',
  ]) {
    assert.match(
      help.stdout,
      new RegExp(`^ {2}${option.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'm'),
      option,
    );
  }
  assert.match(help.stdout, /summary-inspect serve --root/);
  assert.match(cli(['--help']).stdout, /^ {2}serve\s+the web dashboard/m);
});

test.run();
