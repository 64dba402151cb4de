/**
 * Real HTTP receivers for the alerter's tests: a `node:http` server on 127.0.0.1 (a free port)
 * that records every request and answers with the statuses a test scripts (500, 500, then 200:
 * a receiver that recovers), so deliveries, retries and bodies are checked as sent over the
 * wire, not through a mock.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as it arrived, and what the receiver answered. */
export interface ReceivedRequest {
  method: string;
  /** The path and query. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The body, exactly as received (a signature is computed over these bytes). */
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** The status answered. */
  status: number;
}

export interface Receiver {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  /** Every request so far, in arrival order. */
  requests: ReceivedRequest[];
  /** The requests answered with a 2xx: the deliveries a sender may count as done. */
  accepted(): ReceivedRequest[];
  /** Resolves with the first request (from `from` on) matching `predicate`; rejects after `limitMs`. */
  waitFor(
    predicate: (request: ReceivedRequest) => boolean,
    options?: { limitMs?: number; from?: number },
  ): Promise<ReceivedRequest>;
  /** Answers the next requests with these statuses, in order, then 200 again. */
  script(statuses: readonly number[]): void;
  close(): Promise<void>;
}

/** Options of {@link startReceiver}. */
export interface ReceiverOptions {
  /** The statuses of the first requests, in order; 200 after them. */
  statuses?: readonly number[];
  /** The body of a 2xx answer (Slack answers `ok`). Default `ok`. */
  okBody?: string;
}

/** Starts a receiver on 127.0.0.1, on a free port. */
export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  let queue = [...(options.statuses ?? [])];
  const listeners = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const status = queue.shift() ?? 200;
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        json,
        status,
      });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? (options.okBody ?? 'ok') : 'scripted failure');
      for (const listener of [...listeners]) listener();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    accepted: () => requests.filter((r) => r.status >= 200 && r.status < 300),
    waitFor(predicate, { limitMs = 30_000, from = 0 } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = requests.slice(from).find(predicate);
          if (found === undefined) return false;
          finish();
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          finish();
          reject(
            new Error(
              `no matching request within ${limitMs} ms; received: ${JSON.stringify(requests.map((r) => ({ path: r.path, status: r.status, body: r.body.slice(0, 500) })))}`,
            ),
          );
        }, limitMs);
        const listener = () => {
          check();
        };
        function finish() {
          clearTimeout(timer);
          listeners.delete(listener);
        }
        if (!check()) listeners.add(listener);
      });
    },
    script(statuses) {
      queue = [...statuses];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
