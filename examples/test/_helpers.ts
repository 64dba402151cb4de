import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SummaryDict } from '@process-summary/core';
import { FileSummaryStore } from '@process-summary/store-fs';

export const examplesDir = join(dirname(fileURLToPath(import.meta.url)), '..');

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ps-e2e-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Run {
  child: ChildProcess;
  output: () => string;
  /** Resolves once stdout has matched `pattern`. */
  waitForOutput(pattern: RegExp): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs an example script (`collect/collect.ts`, …) with tsx, as a user would. */
export function runExample(script: string, args: string[], env = process.env): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: examplesDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let out = '';
  const listeners: (() => void)[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const listener of [...listeners]) listener();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => out,
    exited,
    waitForOutput(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(out)) {
            listeners.splice(listeners.indexOf(check), 1);
            resolve();
          }
        };
        listeners.push(check);
        check();
        void exited.then(() => {
          if (!pattern.test(out)) reject(new Error(`ended before ${pattern}: ${out}`));
        });
      });
    },
  };
}

/**
 * The summary of (run, process[, worker]) as a reader sees it (through the store, which knows
 * its layout and takes the highest epoch); fails the test when there is none usable.
 */
export async function readSummary(
  root: string,
  runName: string,
  processName: string,
  worker: string | null = null,
): Promise<SummaryDict> {
  const read = await new FileSummaryStore({ root }).read({ runName, processName, worker });
  if (read?.dict == null) {
    throw new Error(`no usable summary for ${runName}/${processName}: ${read?.problem?.message}`);
  }
  return read.dict as SummaryDict;
}

/** Runs the `summary-inspect` binary this package depends on, as a user would. */
export function summaryInspect(args: string[]): Promise<{ code: number | null; output: string }> {
  const manifest = createRequire(import.meta.url).resolve('@process-summary/cli/package.json');
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> };
  const child = spawn(
    process.execPath,
    [join(dirname(manifest), bin['summary-inspect'] as string), ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}
