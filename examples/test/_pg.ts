import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SummaryEvent, SummaryRef, SummaryStore } from '@process-summary/core';
import { examplesDir } from './_helpers.js';

/** A schema name no other test uses (each test isolates itself in its own schema). */
export function freshSchema(): string {
  return `e2e_${randomBytes(6).toString('hex')}`;
}

export type Message = Record<string, unknown>;

/** The pipeline of `_pg-pipeline.ts` in a child process, driven a command at a time. */
export interface Pipeline {
  child: ChildProcess;
  /** Every log line it printed so far. */
  logs: Message[];
  /** The next message of `event` not yet taken (rejects if the process ends first). */
  next(event: string): Promise<Message>;
  /** Sends a command and waits for its reply. */
  send(command: 'step' | 'end'): Promise<Message>;
  /** Sends `run`: steps as fast as it can until `end` (no reply). */
  run(): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export function startPipeline(url: string, schema: string, run: string): Pipeline {
  const child = spawn(
    process.execPath,
    [...process.execArgv, join(examplesDir, 'test', '_pg-pipeline.ts'), url, schema, run],
    { cwd: examplesDir, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const unread: Message[] = [];
  const logs: Message[] = [];
  const waiting: { event: string; resolve: (m: Message) => void; reject: (e: Error) => void }[] =
    [];
  let errText = '';
  let ended = false;
  child.stderr?.on('data', (chunk: Buffer) => {
    errText += chunk.toString();
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const message = JSON.parse(line) as Message;
    if (message.event === 'log') logs.push(message);
    const waiter = waiting.find((w) => w.event === message.event);
    if (waiter === undefined) unread.push(message);
    else {
      waiting.splice(waiting.indexOf(waiter), 1);
      waiter.resolve(message);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      ended = true;
      for (const w of waiting.splice(0)) {
        w.reject(new Error(`pipeline ended (${code ?? signal}) before "${w.event}": ${errText}`));
      }
      resolve({ code, signal });
    }),
  );
  const next = (event: string): Promise<Message> => {
    const index = unread.findIndex((m) => m.event === event);
    if (index >= 0) return Promise.resolve(unread.splice(index, 1)[0] as Message);
    if (ended) return Promise.reject(new Error(`pipeline ended before "${event}": ${errText}`));
    return new Promise((resolve, reject) => waiting.push({ event, resolve, reject }));
  };
  return {
    child,
    logs,
    next,
    send(command) {
      if (command === 'end') child.stdin?.end(`${command}\n`);
      else child.stdin?.write(`${command}\n`);
      return next(command === 'step' ? 'step' : 'ended');
    },
    run() {
      child.stdin?.write('run\n');
    },
    exited,
    stderr: () => errText,
  };
}

/** The journal of `ref`, counted by event type. */
export async function journalCounts(
  store: SummaryStore,
  ref: SummaryRef,
): Promise<{ counts: Record<string, number>; events: SummaryEvent[] }> {
  const counts: Record<string, number> = {};
  const events: SummaryEvent[] = [];
  for await (const record of store.events(ref)) {
    if (record.event === null)
      throw new Error(`unreadable journal entry: ${record.problem.message}`);
    events.push(record.event);
    counts[record.event.type] = (counts[record.event.type] ?? 0) + 1;
  }
  return { counts, events };
}
