/**
 * Bounds the review listed as untested: the listening server caps its connections (file
 * descriptors), one client address cannot hold every event stream, and `/events` of a summary
 * that does not exist is a 404 like the run and timeline routes (not an empty 200).
 */
import { get, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { waitUntil } from '@process-summary/test-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileStore, raw, startServer, writeRuns } from './_server.js';

/** A keep-alive connection that has been served once (so the server has counted it). */
function servedConnection(origin: string): Promise<Socket> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () =>
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n'),
    );
    socket.once('data', () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Whether a new connection is served (false: closed by the server without an answer). */
function served(origin: string): Promise<boolean> {
  const url = new URL(origin);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname, () =>
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    );
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(data.startsWith('HTTP/1.1 200')));
  });
}

test('the server refuses connections past maxConnections and serves again once one closes', async () => {
  const t = await fileStore();
  const running = await startServer(t.store, {}, { maxConnections: 3 });
  const held: Socket[] = [];
  try {
    for (let i = 0; i < 3; i += 1) held.push(await servedConnection(running.origin));
    assert.is(await served(running.origin), false, 'a fourth connection is refused');
    held.shift()?.destroy();
    await waitUntil(() => served(running.origin));
  } finally {
    for (const socket of held) socket.destroy();
    await running.close();
    await t.cleanup();
  }
});

interface OpenStream {
  status: number;
  retryAfter: string | undefined;
  close(): void;
}

function openStream(url: string, localAddress?: string): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, localAddress }, (response: IncomingMessage) => {
      const retry = response.headers['retry-after'];
      resolve({
        status: response.statusCode ?? 0,
        retryAfter: typeof retry === 'string' ? retry : undefined,
        close: () => request.destroy(),
      });
      response.resume();
    });
    request.on('error', reject);
  });
}

test('one client address holds at most maxStreamsPerAddress streams; other addresses still get one', async () => {
  const t = await fileStore();
  const running = await startServer(t.store, {}, { maxStreamsPerAddress: 2 });
  const streams: OpenStream[] = [];
  try {
    const url = `${running.url}api/stream`;
    for (let i = 0; i < 2; i += 1) {
      const s = await openStream(url);
      streams.push(s);
      assert.is(s.status, 200);
    }
    const third = await openStream(url);
    streams.push(third);
    assert.is(third.status, 503, 'a third stream from the same address');
    assert.ok(third.retryAfter !== undefined, 'Retry-After');
    // Linux routes all of 127.0.0.0/8 to loopback: another client address on this machine.
    const other = await openStream(url, '127.0.0.2');
    streams.push(other);
    assert.is(other.status, 200, 'another address is not refused');
    streams[0]?.close();
    let again: OpenStream | null = null;
    await waitUntil(async () => {
      again?.close();
      again = await openStream(url);
      return again.status === 200;
    });
    if (again !== null) streams.push(again);
  } finally {
    for (const s of streams) s.close();
    await running.close();
    await t.cleanup();
  }
});

test('/events of a summary that does not exist is a 404 (E_NOT_FOUND), of one that exists a 200', async () => {
  const t = await fileStore();
  const { held } = await writeRuns(t.store);
  for (const lease of held) await t.store.release(lease);
  const running = await startServer(t.store);
  try {
    const missing = await raw(running.origin, '/api/runs/no-such-run/collect/events');
    assert.is(missing.status, 404);
    assert.is(missing.json().error.code, 'E_NOT_FOUND');
    const there = await raw(running.origin, '/api/runs/nightly/collect/events');
    assert.is(there.status, 200);
  } finally {
    await running.close();
    await t.cleanup();
  }
});

test.run();
