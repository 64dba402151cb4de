/**
 * The server's life and its failures: listening and the URL, close (streams, keep-alive
 * connections, idempotent), embedding `handle`, a full stream hub, store errors answered
 * (503/500) and logged without the server going down, a client leaving mid-answer.
 */
import { createServer, get, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type JournalRecord,
  ProcessSummaryError,
  type SummaryRef,
  type SummaryStore,
} from '@process-summary/core';
import { waitUntil } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createDashboardServer, urlOf } from '../src/server.js';
import {
  EXPECTED_SECURITY_HEADERS,
  fileStore,
  NIGHTLY,
  type Running,
  raw,
  recordingLogger,
  startServer,
  type TestStore,
  writeRuns,
} from './_server.js';

interface Ctx {
  t: TestStore;
  running: Running | null;
}

const test = suite<Ctx>('server');
test.before.each(async (ctx) => {
  ctx.t = await fileStore();
  const { held } = await writeRuns(ctx.t.store);
  for (const lease of held) await ctx.t.store.release(lease);
  ctx.running = null;
});
test.after.each(async (ctx) => {
  await ctx.running?.close();
  await ctx.t.cleanup();
});

/** `store` with some methods replaced. */
function withMethods(store: SummaryStore, methods: Partial<SummaryStore>): SummaryStore {
  return new Proxy(store, {
    get(target, property) {
      if (Object.hasOwn(methods, property))
        return (methods as Record<string | symbol, unknown>)[property];
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Opens `/api/stream` and resolves once the hello arrived. */
function openStream(
  url: string,
): Promise<{ response: IncomingMessage; ended: Promise<void>; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = get(url, (response) => {
      let text = '';
      const ended = new Promise<void>((end) => {
        response.on('end', end);
        response.on('close', end);
      });
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('event: hello')) resolve({ response, ended, close: () => req.destroy() });
      });
      response.on('end', () =>
        reject(new Error(`stream ended before hello: ${response.statusCode}`)),
      );
    });
    req.on('error', reject);
  });
}

test('listen resolves the URL with the base path; url is null before and after', async ({ t }) => {
  const server = createDashboardServer({ store: t.store, port: 0, basePath: '/dash' });
  assert.is(server.url, null);
  const url = await server.listen();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/dash\/$/);
  assert.is(server.url, url);
  assert.is(await server.listen(), url, 'listen again is the same server');
  assert.is((await raw(new URL(url).origin, '/dash/healthz')).status, 200);
  await server.close();
  assert.is(server.url, null);
  await server.close();
  let error: unknown;
  await server.listen().catch((e) => {
    error = e;
  });
  assert.is((error as { code?: string }).code, 'E_INVALID_STATE');
});

test('the URL of an IPv6 address has it in brackets', () => {
  assert.is(urlOf('::1', 4177, '/'), 'http://[::1]:4177/');
  assert.is(urlOf('127.0.0.1', 80, '/x/'), 'http://127.0.0.1:80/x/');
  assert.is(urlOf('localhost', 1, '/'), 'http://localhost:1/');
});

test('a port in use rejects listen with the system error, and close still works', async ({ t }) => {
  const first = await startServer(t.store);
  try {
    const port = Number(new URL(first.url).port);
    const second = createDashboardServer({ store: t.store, port });
    let error: unknown;
    await second.listen().catch((e) => {
      error = e;
    });
    assert.is((error as { code?: string }).code, 'EADDRINUSE');
    await second.close();
  } finally {
    await first.close();
  }
});

test('close ends open event streams and idle keep-alive connections, and is idempotent', async (ctx) => {
  ctx.running = await startServer(ctx.t.store);
  const { origin, server } = ctx.running;
  const stream = await openStream(`${origin}/api/stream`);
  // An idle keep-alive connection: one answered request, the socket kept.
  const agentSocket = await new Promise<import('node:net').Socket>((resolve, reject) => {
    const req = request(
      `${origin}/healthz`,
      { headers: { connection: 'keep-alive' } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(req.socket as import('node:net').Socket));
      },
    );
    req.on('error', reject);
    req.end();
  });
  const socketClosed = new Promise<void>((resolve) => agentSocket.once('close', () => resolve()));
  await Promise.all([server.close(), server.close()]);
  await stream.ended;
  await socketClosed;
  await server.close();
});

test('handle mounts in a server of your own, headers and all', async ({ t }) => {
  const dashboard = createDashboardServer({ store: t.store, basePath: '/dash/' });
  const own = createServer((req, res) => {
    if (req.url?.startsWith('/dash/')) dashboard.handle(req, res);
    else res.end('mine');
  });
  await new Promise<void>((resolve) => own.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(own.address() as AddressInfo).port}`;
  try {
    const answer = await raw(origin, '/dash/api/runs');
    assert.is(answer.status, 200);
    assert.ok(answer.json().rows.length > 0);
    for (const [name, value] of Object.entries(EXPECTED_SECURITY_HEADERS))
      assert.is(answer.headers[name], value);
    assert.is((await raw(origin, '/other')).text, 'mine');
  } finally {
    await dashboard.close();
    own.closeAllConnections();
    await new Promise<void>((resolve) => own.close(() => resolve()));
  }
});

test('a full hub answers 503 E_INVALID_STATE with Retry-After; a freed place can be taken again', async (ctx) => {
  ctx.running = await startServer(ctx.t.store, { maxStreamClients: 1 });
  const { origin } = ctx.running;
  const first = await openStream(`${origin}/api/stream`);
  const refused = await raw(origin, '/api/stream');
  assert.is(refused.status, 503);
  assert.is(refused.json().error.code, 'E_INVALID_STATE');
  assert.ok(Number(refused.headers['retry-after']) > 0);
  first.close();
  await first.ended;
  await waitUntil(async () => {
    const again = await openStream(`${origin}/api/stream`).catch(() => null);
    again?.close();
    return again !== null;
  });
});

test('a stream filtered by run and process only gets that process; HEAD of the stream opens nothing', async (ctx) => {
  ctx.running = await startServer(ctx.t.store);
  const head = await raw(ctx.running.origin, '/api/stream?run=nightly&process=collect', {
    method: 'HEAD',
  });
  assert.is(head.status, 200);
  assert.match(String(head.headers['content-type']), /^text\/event-stream/);
  const stream = await openStream(`${ctx.running.origin}/api/stream?run=nightly&process=collect`);
  assert.match(String(stream.response.headers['content-type']), /^text\/event-stream/);
  for (const [name, value] of Object.entries(EXPECTED_SECURITY_HEADERS)) {
    assert.is(stream.response.headers[name], value, `${name} on the stream`);
  }
  stream.close();
});

test('store errors: unavailable and I/O are 503, anything else 500; each is logged and the server keeps serving', async ({
  t,
}) => {
  const failures: [string, Error][] = [
    [
      'E_STORE_UNAVAILABLE',
      new ProcessSummaryError('E_STORE_UNAVAILABLE', 'connect ECONNREFUSED 10.0.0.1:5432'),
    ],
    ['E_IO', new ProcessSummaryError('E_IO', 'EIO: i/o error, read')],
    ['other', new TypeError('boom')],
  ];
  for (const [name, failure] of failures) {
    const store = withMethods(t.store, {
      list: async () => {
        throw failure;
      },
      read: async () => {
        throw failure;
      },
    });
    const logger = recordingLogger();
    const server = createDashboardServer({ store, port: 0, logger });
    const { origin } = new URL(await server.listen());
    try {
      for (const path of [
        '/api/runs',
        '/api/runs/nightly/collect',
        '/api/runs/nightly/collect/timeline',
        '/metrics',
      ]) {
        const answer = await raw(origin, path);
        const expected = name === 'other' ? 500 : 503;
        assert.is(answer.status, expected, `${name} ${path}`);
        if (path.startsWith('/api/')) {
          assert.is(answer.json().error.code, name === 'other' ? 'E_INVALID_STATE' : name);
          assert.not.match(
            answer.text,
            /10\.0\.0\.1|EIO|boom/,
            'the cause is in the log, not the answer',
          );
        }
      }
      assert.is(logger.lines.filter((l) => l.level === 'error').length, 4, name);
      assert.ok(logger.lines.some((l) => String(l.fields.error).includes(failure.message)));
      assert.is((await raw(origin, '/healthz')).status, 200);
    } finally {
      await server.close();
    }
  }
});

test('a client leaving mid-answer stops the journal read (the store sees the abort)', async (ctx) => {
  let started: (() => void) | null = null;
  const reading = new Promise<void>((resolve) => {
    started = resolve;
  });
  let aborted = false;
  let finished = false;
  const store = withMethods(ctx.t.store, {
    events: (_ref: SummaryRef, options?: { signal?: AbortSignal }) =>
      (async function* (): AsyncGenerator<JournalRecord> {
        try {
          started?.();
          await new Promise<void>((resolve) => {
            if (options?.signal?.aborted) resolve();
            options?.signal?.addEventListener('abort', () => resolve());
          });
          aborted = options?.signal?.aborted === true;
        } finally {
          finished = true;
        }
      })(),
  });
  ctx.running = await startServer(store);
  const req = get(`${ctx.running.origin}/api/runs/nightly/collect/events`);
  req.on('error', () => {});
  await reading;
  req.destroy();
  await waitUntil(() => finished);
  assert.ok(aborted, 'the signal given to store.events was aborted');
  assert.is((await raw(ctx.running.origin, '/healthz')).status, 200);
});

test('a client leaving before a slow answer is ready costs nothing but the answer', async (ctx) => {
  let release: (() => void) | null = null;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let listing: (() => void) | null = null;
  const asked = new Promise<void>((resolve) => {
    listing = resolve;
  });
  const store = withMethods(ctx.t.store, {
    list: async (options) => {
      listing?.();
      await held;
      return ctx.t.store.list(options);
    },
  });
  ctx.running = await startServer(store);
  const req = get(`${ctx.running.origin}/api/runs`);
  req.on('error', () => {});
  await asked;
  const closed = new Promise((resolve) => req.on('close', resolve));
  req.destroy();
  await closed;
  (release as unknown as () => void)();
  await waitUntil(
    async () => (await raw(ctx.running?.origin as string, '/api/runs')).status === 200,
  );
  assert.equal(
    ctx.running.logger.lines.filter((l) => l.level === 'error'),
    [],
  );
});

test('a stored journal read through the API matches the store after more saves (answers are never cached)', async (ctx) => {
  ctx.running = await startServer(ctx.t.store);
  const before = (await raw(ctx.running.origin, '/api/runs/nightly/collect/events')).json();
  const { ProcessSummary } = await import('@process-summary/core');
  const summary = new ProcessSummary({ ...NIGHTLY, worker: null });
  const { lease } = await ctx.t.store.acquire(NIGHTLY);
  summary.startProcess();
  summary.addProgressUpdate('one more');
  await ctx.t.store.save(summary, lease);
  await ctx.t.store.release(lease);
  const after = (await raw(ctx.running.origin, '/api/runs/nightly/collect/events')).json();
  assert.ok(after.records.length > before.records.length);
});

test.run();
