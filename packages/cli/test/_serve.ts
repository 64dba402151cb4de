import { type ChildProcess, spawn } from 'node:child_process';
import { binary } from './_helpers.ts';

/** A running `summary-inspect serve` (the real binary, stdout a pipe). */
export interface Serving {
  child: ChildProcess;
  /** The URL of its `dashboard: URL (Ctrl-C stops)` line. */
  url: string;
  /** The whole line it printed. */
  line: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal that ended it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The outcome of a serve that ended on its own (refused to start). */
export interface Refused {
  code: number | null;
  stdout: string;
  stderr: string;
}

function launch(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [binary, 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NO_COLOR: '',
      PROCESS_SUMMARY_ROOT: '',
      PROCESS_SUMMARY_STORE: '',
      ...env,
    },
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
    for (const l of listeners) l();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, out: () => out, err: () => err, listeners, exited };
}

const URL_LINE = /^dashboard: (http:\/\/\S+) \(Ctrl-C stops\)\n/m;

/**
 * Starts `summary-inspect serve ARGS` (add `--port 0`) and resolves once it printed its URL;
 * rejects with its output when it exits first.
 */
export function serve(args: string[], env: Record<string, string> = {}): Promise<Serving> {
  const l = launch(args, env);
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = URL_LINE.exec(l.out());
      if (m === null) return;
      l.listeners.delete(check);
      resolve({
        child: l.child,
        url: m[1] as string,
        line: m[0],
        stdout: l.out,
        stderr: l.err,
        exited: l.exited,
        stop: (signal = 'SIGINT') => {
          l.child.kill(signal);
          return l.exited;
        },
      });
    };
    l.listeners.add(check);
    void l.exited.then(({ code, signal }) => {
      if (URL_LINE.test(l.out())) return;
      reject(
        new Error(
          `serve ended (${code ?? signal}) before printing its URL\nstdout: ${l.out()}\nstderr: ${l.err()}`,
        ),
      );
    });
  });
}

/** Runs a serve expected to refuse to start; resolves when it exits (kills it if it listens). */
export async function serveRefused(
  args: string[],
  env: Record<string, string> = {},
): Promise<Refused> {
  const l = launch(args, env);
  const check = () => {
    // It listened: the test fails on the output, and no server is left behind.
    if (URL_LINE.test(l.out())) l.child.kill('SIGKILL');
  };
  l.listeners.add(check);
  const { code } = await l.exited;
  return { code, stdout: l.out(), stderr: l.err() };
}

/** GET `url` with optional headers; the status, the content type and the body as text. */
export async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(url, { headers, redirect: 'manual' });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: await response.text(),
  };
}
