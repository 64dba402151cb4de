import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const pipelineScript = join(
  dirname(fileURLToPath(import.meta.url)),
  'fixtures',
  'pipeline.mjs',
);

export function tempRoot(): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'ps-recovery-'));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export interface Pipeline {
  child: ChildProcess;
  /** Resolves with the first message of this event (rejects if the process ends first). */
  waitFor(event: string): Promise<Record<string, unknown>>;
  messages: Record<string, unknown>[];
  /** Resolves when the process ends: its exit code or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export function startPipeline(
  root: string,
  mode: string,
  options: Record<string, unknown> = {},
  names: { run?: string; process?: string } = {},
): Pipeline {
  const child = spawn(
    process.execPath,
    [
      pipelineScript,
      root,
      names.run ?? 'harvard_2024',
      names.process ?? 'collect',
      mode,
      JSON.stringify(options),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const messages: Record<string, unknown>[] = [];
  const waiters: {
    event: string;
    resolve: (m: Record<string, unknown>) => void;
    reject: (e: Error) => void;
  }[] = [];
  let buffer = '';
  let errText = '';
  let closed = false;
  child.stderr?.on('data', (chunk: Buffer) => {
    errText += chunk.toString();
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
      if (line.trim() === '') continue;
      const message = JSON.parse(line) as Record<string, unknown>;
      messages.push(message);
      for (const waiter of [...waiters]) {
        if (waiter.event === message.event) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(message);
        }
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close', not 'exit': by then stdout is drained, so no message is missed.
    child.on('close', (code, signal) => {
      closed = true;
      for (const waiter of waiters.splice(0)) {
        waiter.reject(
          new Error(
            `process ended (${code ?? signal}) before "${waiter.event}"; stderr: ${errText}`,
          ),
        );
      }
      resolve({ code, signal });
    });
  });
  return {
    child,
    messages,
    exited,
    stderr: () => errText,
    waitFor(event) {
      const seen = messages.find((m) => m.event === event);
      if (seen) return Promise.resolve(seen);
      if (closed) {
        return Promise.reject(
          new Error(`process already ended before "${event}"; stderr: ${errText}`),
        );
      }
      return new Promise((resolve, reject) => waiters.push({ event, resolve, reject }));
    },
  };
}

/** Waits for the process to end; kills it (and fails) if it has not within `ms`: a hang guard, not a timing check. */
export async function endsWithin(
  p: Pipeline,
  ms: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }> {
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    p.child.kill('SIGKILL');
  }, ms);
  const result = await p.exited;
  clearTimeout(timer);
  return { ...result, killed };
}
