/**
 * How the HTTP notifiers take a receiver's answer, over real HTTP on 127.0.0.1: a redirect is
 * a configuration failure (not retried, not followed), and only a bounded part of a body is
 * read (an endless error body neither grows memory nor holds the attempt until its timeout).
 */
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import { isPermanent } from '../src/notification.js';
import { postJson } from '../src/notifiers/http.js';

async function serve(
  handler: Parameters<typeof createServer>[1],
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test('a redirect is a permanent failure naming where it points, and is not followed', async () => {
  let followed = 0;
  const target = await serve((_req, res) => {
    followed += 1;
    res.end('ok');
  });
  const hook = await serve((_req, res) => {
    res.writeHead(302, { location: target.url });
    res.end();
  });
  try {
    const err = await postJson(hook.url, '{}', {}, AbortSignal.timeout(10_000)).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof Error, 'a redirect is not a delivery');
    assert.ok(isPermanent(err), 'not retried: the configured URL is wrong');
    assert.match(err.message, /302.*redirect to http:\/\/127\.0\.0\.1:\d+/);
    assert.equal(followed, 0, 'the signed body was not carried elsewhere');
  } finally {
    await hook.close();
    await target.close();
  }
});

test('an endless error body is read only up to the bound: the attempt fails with the status, before its timeout', async () => {
  let written = 0;
  const hook = await serve((_req, res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(16 * 1024, 'e');
    const pump = () => {
      let more = true;
      while (!res.destroyed && more) {
        more = res.write(chunk);
        written += chunk.length;
      }
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  const timeout = new AbortController();
  try {
    // The attempt's own timeout is never fired by the test: it ends by the bound or hangs.
    const err = await postJson(hook.url, '{}', {}, timeout.signal).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof Error);
    assert.match(err.message, /answered 500: "e+"/);
    assert.equal(isPermanent(err), false, 'a 5xx is retried');
    assert.equal(timeout.signal.aborted, false, 'ended by the bound, not by an abort');
  } finally {
    timeout.abort();
    await hook.close();
  }
  assert.ok(written > 0);
});

test.run();
