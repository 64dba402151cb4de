/**
 * A real Alertmanager for the alerter's tests: Debian's `prometheus-alertmanager` (installed by
 * `.ci/run`), started on a free loopback port with its own temporary storage and config, its
 * clustering off. No silent skip: when the binary is missing this rejects and says how to
 * install it, and the tests that need it fail.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's package puts it. */
export const ALERTMANAGER_BINARY = '/usr/bin/prometheus-alertmanager';

/** An alert as `GET /api/v2/alerts` shows it (the fields the tests read). */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[] };
}

export interface TestAlertmanager {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** `GET /api/v2/alerts`: the alerts it holds that have not ended. */
  alerts(): Promise<AlertmanagerAlert[]>;
  /** What it wrote to stderr (its log), for failure messages. */
  log(): string;
  child: ChildProcess;
  /** Kills it (SIGKILL: nothing of it needs keeping) and removes its directory. */
  stop(): Promise<void>;
}

/** Options of {@link startAlertmanager}. */
export interface AlertmanagerOptions {
  /**
   * A webhook the Alertmanager notifies (firing and resolved, `send_resolved: true`), grouped by
   * alert name, with short waits so a test sees its notifications in seconds.
   */
  webhookUrl?: string;
}

/** A free TCP port on 127.0.0.1 (taken and released: the caller binds it at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function config(webhookUrl: string | undefined): string {
  const receiver =
    webhookUrl === undefined
      ? '  - name: tests\n'
      : `  - name: tests\n    webhook_configs:\n      - url: ${JSON.stringify(webhookUrl)}\n        send_resolved: true\n`;
  return `route:
  receiver: tests
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
${receiver}`;
}

/** Starts an Alertmanager and resolves once `/-/ready` answers 200 (rejects after 30 s). */
export async function startAlertmanager(
  options: AlertmanagerOptions = {},
): Promise<TestAlertmanager> {
  try {
    accessSync(ALERTMANAGER_BINARY, constants.X_OK);
  } catch (err) {
    throw new Error(
      `no Alertmanager at ${ALERTMANAGER_BINARY}: install Debian's prometheus-alertmanager (apt-get install prometheus-alertmanager; .ci/run does)`,
      { cause: err },
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'ps-alertmanager-'));
  writeFileSync(join(dir, 'am.yml'), config(options.webhookUrl));
  let lastError: unknown;
  // The port is free when picked and may be taken before the binary binds it: try another.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
      ALERTMANAGER_BINARY,
      [
        `--config.file=${join(dir, 'am.yml')}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // Empty: no clustering (no gossip port, no peers to wait for).
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr?.on('data', (c: Buffer) => {
      log += c.toString();
    });
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    let ended = false;
    void exited.then(() => {
      ended = true;
    });
    const stop = async () => {
      if (!ended) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      for (let waited = 0; ; waited += 100) {
        if (ended) throw new Error(`the Alertmanager exited before it was ready: ${log}`);
        if (waited > 30_000) throw new Error(`the Alertmanager was not ready in 30 s: ${log}`);
        const ready = await fetch(`${url}/-/ready`).then(
          (r) => r.ok,
          () => false,
        );
        if (ready) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } catch (err) {
      lastError = err;
      if (!ended) {
        child.kill('SIGKILL');
        await exited;
      }
      continue;
    }
    return {
      url,
      child,
      log: () => log,
      stop,
      async alerts() {
        const response = await fetch(`${url}/api/v2/alerts`);
        if (!response.ok) throw new Error(`GET /api/v2/alerts: ${response.status}`);
        return (await response.json()) as AlertmanagerAlert[];
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
