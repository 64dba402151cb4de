/**
 * The security of the server over real HTTP: the token, refusing a non-loopback address
 * without one, bad options refused before anything is touched, read-only methods (the store
 * unchanged), bounded requests, no path out of the build output, the headers of every answer.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { SummaryStore } from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createDashboardServer } from '../src/server.js';
import {
  type Answer,
  EXPECTED_SECURITY_HEADERS,
  fileStore,
  type Running,
  raw,
  rawSocket,
  snapshot,
  startServer,
  type TestStore,
  writeRuns,
} from './_server.js';

const TOKEN = 'sekret-token-42';
/** A token only basic auth can carry (header values are bytes; basic is base64 of UTF-8). */
const UNICODE_TOKEN = 'gehéim-☃';

/** A build output of our own: an index template, one asset, and a link out of the folder. */
function fakeBuild(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ps-dashboard-web-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><html><head><base href="%BASE%"><script type="module" src="assets/app-abc.js"></script></head><body>%BASE%</body></html>',
  );
  writeFileSync(
    join(dir, 'assets', 'app-abc.js'),
    `console.log(${JSON.stringify('x'.repeat(4000))});\n`,
  );
  writeFileSync(join(dir, 'secret.txt'), 'NOT-AN-ASSET');
  symlinkSync('/etc/passwd', join(dir, 'assets', 'passwd'));
  symlinkSync(join(dir, 'secret.txt'), join(dir, 'assets', 'secret.txt'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const bearer = { authorization: `Bearer ${TOKEN}` };
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`,
});

function assertSecurityHeaders(answer: Answer, what: string): void {
  for (const [name, value] of Object.entries(EXPECTED_SECURITY_HEADERS)) {
    assert.is(answer.headers[name], value, `${name} on ${what}`);
  }
}

interface Ctx {
  t: TestStore;
  web: { dir: string; cleanup(): void };
  running: Running | null;
}

const test = suite<Ctx>('security');
test.before.each(async (ctx) => {
  ctx.t = await fileStore();
  await writeRuns(ctx.t.store).then(async ({ held }) => {
    for (const lease of held) await ctx.t.store.release(lease);
  });
  ctx.web = fakeBuild();
  ctx.running = null;
});
test.after.each(async (ctx) => {
  await ctx.running?.close();
  ctx.web.cleanup();
  await ctx.t.cleanup();
});

test('with a token: every route but /healthz answers 401 with a browser prompt until the token is given', async (ctx) => {
  ctx.running = await startServer(ctx.t.store, { token: TOKEN }, { webDir: ctx.web.dir });
  const { origin } = ctx.running;
  const protectedPaths = [
    '/',
    '/runs/nightly/collect',
    '/assets/app-abc.js',
    '/api/runs',
    '/api/runs/nightly/collect',
    '/api/runs/nightly/collect/timeline',
    '/api/runs/nightly/collect/events',
    '/api/stream',
    '/metrics',
    '/nothing-here',
  ];
  for (const path of protectedPaths) {
    for (const headers of [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Basic ${TOKEN}` },
      basic(TOKEN, ''),
      basic('user', 'wrong'),
      { authorization: TOKEN },
    ]) {
      const answer = await raw(origin, path, { headers });
      assert.is(answer.status, 401, `${path} ${JSON.stringify(headers)}`);
      assert.is(
        answer.headers['www-authenticate'],
        'Basic realm="process-summary dashboard", charset="UTF-8"',
      );
      assertSecurityHeaders(answer, `401 of ${path}`);
      if (path.startsWith('/api/')) assert.is(answer.json().error.code, 'E_UNAUTHORIZED');
      assert.not.match(answer.text, /nightly|collect/, 'nothing of the store in a 401');
    }
  }
  const health = await raw(origin, '/healthz');
  assert.is(health.status, 200);
  assert.is(health.json().status, 'ok');
  for (const headers of [
    bearer,
    basic('anyone', TOKEN),
    basic('', TOKEN),
    { authorization: `bearer   ${TOKEN}` },
  ]) {
    for (const path of protectedPaths.filter((p) => p !== '/api/stream' && p !== '/nothing-here')) {
      const answer = await raw(origin, path, { headers });
      assert.is(answer.status, 200, `${path} with ${JSON.stringify(headers)}`);
    }
  }
  const unknown = await raw(origin, '/nothing-here', { headers: bearer });
  assert.is(unknown.status, 404);
});

test('a token beyond ASCII works as the basic-auth password (UTF-8)', async (ctx) => {
  ctx.running = await startServer(ctx.t.store, { token: UNICODE_TOKEN }, { webDir: ctx.web.dir });
  assert.is(
    (await raw(ctx.running.origin, '/api/runs', { headers: basic('me', UNICODE_TOKEN) })).status,
    200,
  );
  assert.is(
    (await raw(ctx.running.origin, '/api/runs', { headers: basic('me', 'gehéim-') })).status,
    401,
  );
});

test('with a token: the event stream opens with it and not without', async (ctx) => {
  ctx.running = await startServer(ctx.t.store, { token: TOKEN }, { webDir: ctx.web.dir });
  const { request } = await import('node:http');
  const open = (headers: Record<string, string>) =>
    new Promise<{ status: number; type: string | undefined; first: string }>((resolve, reject) => {
      const req = request(`${ctx.running?.origin}/api/stream`, { headers }, (response) => {
        response.setEncoding('utf8');
        let text = '';
        const done = () => {
          resolve({
            status: response.statusCode ?? 0,
            type: response.headers['content-type'],
            first: text,
          });
          req.destroy();
        };
        response.on('data', (chunk: string) => {
          text += chunk;
          if (response.statusCode !== 200 || text.includes('event: hello')) done();
        });
        response.on('end', done);
      });
      req.on('error', reject);
      req.end();
    });
  const denied = await open({});
  assert.is(denied.status, 401);
  const allowed = await open(bearer);
  assert.is(allowed.status, 200);
  assert.match(String(allowed.type), /^text\/event-stream/);
  assert.match(allowed.first, /event: hello/);
});

test('a non-loopback host without a token is refused at creation, naming --token-file and --insecure', async ({
  t,
}) => {
  for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com', '::ffff:10.0.0.1']) {
    let error: unknown;
    try {
      createDashboardServer({ store: t.store, host, port: 0 });
    } catch (e) {
      error = e;
    }
    assert.is((error as { code?: string }).code, 'E_INVALID_ARGUMENT', host);
    assert.match((error as Error).message, /--token-file/);
    assert.match((error as Error).message, /--insecure/);
  }
  for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '::ffff:127.0.0.1']) {
    createDashboardServer({ store: t.store, host, port: 0 });
  }
  createDashboardServer({ store: t.store, host: '0.0.0.0', port: 0, token: TOKEN });
  createDashboardServer({ store: t.store, host: '0.0.0.0', port: 0, insecure: true });
});

test('bad options are refused with E_INVALID_ARGUMENT before the store is touched', async ({
  t,
}) => {
  const calls: string[] = [];
  const spy = new Proxy(t.store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const bad: Record<string, unknown>[] = [
    { port: -1 },
    { port: 65_536 },
    { port: 1.5 },
    { port: '80' },
    { basePath: 'x' },
    { basePath: '/a/../b' },
    { basePath: '/a/..' },
    { basePath: '/./a' },
    { basePath: '/a//b' },
    { basePath: '//evil.example' },
    { basePath: '/a\nb' },
    { basePath: '/a\u0000' },
    { basePath: '/a b' },
    { basePath: '/a?b' },
    { basePath: '/a#b' },
    { basePath: '/a%2e' },
    { basePath: '/a"><script>' },
    { host: '' },
    { host: 'a b' },
    { host: '[::1]' },
    { token: '' },
    { token: 'a\nb' },
    { token: 'tab\there' },
    { token: 42 },
    { staleAfterSeconds: 0 },
    { staleAfterSeconds: Number.NaN },
    { maxStreamClients: 0 },
    { insecure: 'yes' },
    { logger: {} },
    { store: {} },
    { store: null },
  ];
  for (const options of bad) {
    let error: unknown;
    try {
      createDashboardServer({ store: spy as SummaryStore, port: 0, ...options } as never);
    } catch (e) {
      error = e;
    }
    assert.is(
      (error as { code?: string } | undefined)?.code,
      'E_INVALID_ARGUMENT',
      JSON.stringify(options),
    );
  }
  assert.equal(calls, []);
});

test('a base path serves everything under it and nothing at /', async (ctx) => {
  ctx.running = await startServer(ctx.t.store, { basePath: '/x' }, { webDir: ctx.web.dir });
  const { origin, url } = ctx.running;
  assert.ok(url.endsWith('/x/'), url);
  for (const path of [
    '/x/',
    '/x/runs/nightly/collect',
    '/x/api/runs',
    '/x/api/runs/nightly/collect',
    '/x/metrics',
    '/x/healthz',
    '/x/assets/app-abc.js',
  ]) {
    assert.is((await raw(origin, path)).status, 200, path);
  }
  for (const path of [
    '/',
    '/api/runs',
    '/api/runs/nightly/collect',
    '/metrics',
    '/healthz',
    '/assets/app-abc.js',
    '/runs/nightly/collect',
    '/xy/',
    '/X/api/runs',
  ]) {
    const answer = await raw(origin, path);
    assert.is(answer.status, 404, path);
    assertSecurityHeaders(answer, path);
  }
  const redirect = await raw(origin, '/x');
  assert.is(redirect.status, 308);
  assert.is(redirect.headers.location, '/x/');
  const withQuery = await raw(origin, '/x?a=1');
  assert.is(withQuery.status, 308);
  assert.is(withQuery.headers.location, '/x/?a=1');
  const page = await raw(origin, '/x/');
  assert.match(page.text, '<base href="/x/">');
  assert.match(page.text, '<body>/x/</body>');
  assert.not.match(page.text, '%BASE%');
});

test('a base path is HTML-escaped where the page holds it', async (ctx) => {
  ctx.running = await startServer(ctx.t.store, { basePath: "/a&b'c/" }, { webDir: ctx.web.dir });
  const page = await raw(ctx.running.origin, "/a&b'c/");
  assert.is(page.status, 200);
  assert.match(page.text, '<base href="/a&amp;b&#39;c/">');
});

test('only GET and HEAD: other methods are 405 (Allow: GET, HEAD) and the store does not change', async (ctx) => {
  const root = ctx.t.root as string;
  ctx.running = await startServer(ctx.t.store, {}, { webDir: ctx.web.dir });
  const before = snapshot(root);
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    for (const path of [
      '/',
      '/api/runs',
      '/api/runs/nightly/collect',
      '/api/runs/nightly/collect/events',
      '/metrics',
      '/healthz',
      '/api/stream',
    ]) {
      for (const body of [undefined, '{"status":"completed"}']) {
        const answer = await raw(ctx.running.origin, path, {
          method,
          ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
        });
        assert.is(answer.status, 405, `${method} ${path}`);
        assert.is(answer.headers.allow, 'GET, HEAD');
        assertSecurityHeaders(answer, `${method} ${path}`);
        if (path.startsWith('/api/')) assert.is(answer.json().error.code, 'E_UNSUPPORTED');
      }
    }
  }
  assert.equal(snapshot(root), before);
});

test('a request with a body is refused unread (413), an over-long URL is 414', async (ctx) => {
  ctx.running = await startServer(ctx.t.store, {}, { webDir: ctx.web.dir });
  const { origin } = ctx.running;
  const withBody = await raw(origin, '/api/runs', { body: 'x'.repeat(1000) });
  assert.is(withBody.status, 413);
  assert.is(withBody.json().error.code, 'E_INVALID_ARGUMENT');
  const chunked = await rawSocket(
    origin,
    'GET /api/runs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
  );
  assert.match(chunked, /^HTTP\/1.1 413 /);
  assert.equal(chunked.match(/HTTP\/1.1 /g)?.length, 1, 'one answer, nothing after it');
  const long = await raw(origin, `/api/runs?x=${'a'.repeat(9000)}`);
  assert.is(long.status, 414);
  assertSecurityHeaders(long, '414');
  const fine = await raw(origin, `/api/runs?x=${'a'.repeat(7000)}`);
  assert.is(fine.status, 200);
});

test('no path reaches a file outside the build output (traversal, encodings, backslashes, links)', async (ctx) => {
  ctx.running = await startServer(ctx.t.store, {}, { webDir: ctx.web.dir });
  const packageJson = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  const attempts = [
    '/assets/../../package.json',
    '/assets/../secret.txt',
    '/assets/..%2f..%2fpackage.json',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
    '/assets/..\\..\\package.json',
    '/assets/%5c..%5c..%5cpackage.json',
    '/assets/%2Fetc%2Fpasswd',
    '/assets//etc/passwd',
    '/assets/passwd',
    '/assets/secret.txt',
    '/assets/app-abc.js/../../secret.txt',
    '/assets/app-abc.js%00',
    '/assets/',
    '/assets',
    '/../package.json',
    '/%2e%2e/package.json',
    '/index.html',
    '/secret.txt',
    '//etc/passwd',
    '/runs/../../package.json',
    'http://localhost/../package.json',
    '*',
  ];
  for (const path of attempts) {
    const answer = await raw(ctx.running.origin, path);
    assert.not.match(answer.text, 'NOT-AN-ASSET', path);
    assert.not.match(answer.text, 'root:', path);
    assert.not.match(answer.text, packageJson.slice(0, 40), path);
    if (path.startsWith('/runs/')) {
      // A page path: the index page (the client router says "not found"), never a file.
      assert.match(answer.text, '<base href="/">', path);
      continue;
    }
    assert.ok([400, 404].includes(answer.status), `${path}: ${answer.status}`);
    assertSecurityHeaders(answer, path);
  }
});

test('pages: index for the base and run paths (no-cache), assets immutable, gzip when accepted, 304 on a matching ETag', async (ctx) => {
  ctx.running = await startServer(ctx.t.store, {}, { webDir: ctx.web.dir });
  const { origin } = ctx.running;
  const index = await raw(origin, '/');
  assert.is(index.status, 200);
  assert.is(index.headers['content-type'], 'text/html; charset=utf-8');
  assert.is(index.headers['cache-control'], 'no-cache');
  const runPage = await raw(origin, '/runs/nightly/collect?worker=w1');
  assert.is(runPage.text, index.text);
  const asset = await raw(origin, '/assets/app-abc.js');
  assert.is(asset.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.is(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.is(asset.text, readFileSync(join(ctx.web.dir, 'assets', 'app-abc.js'), 'utf8'));
  const gz = await raw(origin, '/assets/app-abc.js', {
    headers: { 'accept-encoding': 'br, gzip;q=0.8' },
  });
  assert.is(gz.headers['content-encoding'], 'gzip');
  assert.is(gunzipSync(gz.body).toString('utf8'), asset.text);
  assert.ok(gz.body.length < asset.body.length);
  const refused = await raw(origin, '/assets/app-abc.js', {
    headers: { 'accept-encoding': 'gzip;q=0' },
  });
  assert.is(refused.headers['content-encoding'], undefined);
  for (const [path, answer] of [
    ['/assets/app-abc.js', asset],
    ['/', index],
  ] as const) {
    const etag = String(answer.headers.etag);
    assert.match(etag, /^"[^"]+"$/);
    for (const tag of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await raw(origin, path, { headers: { 'if-none-match': tag } });
      assert.is(again.status, 304, `${path} ${tag}`);
      assert.is(again.body.length, 0);
      assertSecurityHeaders(again, `304 of ${path}`);
    }
    assert.is((await raw(origin, path, { headers: { 'if-none-match': '"other"' } })).status, 200);
  }
  const head = await raw(origin, '/assets/app-abc.js', { method: 'HEAD' });
  assert.is(head.status, 200);
  assert.is(head.body.length, 0);
  assert.is(head.headers['content-length'], String(asset.body.length));
});

test('without a build the pages answer 503 naming `pnpm build`, and the API still works', async (ctx) => {
  const missing = join(ctx.web.dir, 'nothing');
  ctx.running = await startServer(ctx.t.store, {}, { webDir: missing });
  for (const path of ['/', '/runs/nightly/collect']) {
    const page = await raw(ctx.running.origin, path);
    assert.is(page.status, 503);
    assert.match(page.text, 'pnpm build');
    assertSecurityHeaders(page, `503 of ${path}`);
  }
  assert.is((await raw(ctx.running.origin, '/api/runs')).status, 200);
  assert.is((await raw(ctx.running.origin, '/assets/app-abc.js')).status, 404);
});

test('every kind of answer carries the CSP and the other security headers', async (ctx) => {
  ctx.running = await startServer(ctx.t.store, { token: TOKEN }, { webDir: ctx.web.dir });
  const { origin } = ctx.running;
  const etag = String((await raw(origin, '/assets/app-abc.js', { headers: bearer })).headers.etag);
  const cases: [string, string, Record<string, string>, string, number][] = [
    ['page', '/', bearer, 'GET', 200],
    ['asset', '/assets/app-abc.js', bearer, 'GET', 200],
    ['asset 304', '/assets/app-abc.js', { ...bearer, 'if-none-match': etag }, 'GET', 304],
    ['api', '/api/runs', bearer, 'GET', 200],
    ['api HEAD', '/api/runs', bearer, 'HEAD', 200],
    ['api 404', '/api/runs/none/none', bearer, 'GET', 404],
    ['api 400', '/api/runs/%2E%2E/x', bearer, 'GET', 400],
    ['401', '/api/runs', {}, 'GET', 401],
    ['405', '/api/runs', bearer, 'POST', 405],
    ['404 text', '/nope', bearer, 'GET', 404],
    ['metrics', '/metrics', bearer, 'GET', 200],
    ['healthz', '/healthz', {}, 'GET', 200],
  ];
  for (const [what, path, headers, method, status] of cases) {
    const answer = await raw(origin, path, { headers, method });
    assert.is(answer.status, status, what);
    assertSecurityHeaders(answer, what);
  }
});

test.run();
