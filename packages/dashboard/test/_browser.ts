/**
 * What the end-to-end tests share: a real headless Chromium (Debian's, at /usr/bin/chromium;
 * missing, the tests fail and say how to install it, they never skip), a dashboard server over
 * a temporary file store, runs to show, and a page that records what must never happen on it
 * (a script of the data running, a CSP violation, an uncaught error).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createManualClock, type ManualClock, ProcessSummary } from '@process-summary/core';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { suite, type Test } from 'uvu';
import {
  createDashboardServer,
  type DashboardOptions,
  type DashboardServer,
} from '../src/index.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

const here = dirname(fileURLToPath(import.meta.url));
export const packageDir = join(here, '..');
export const repoDir = join(packageDir, '..', '..');
/** Summaries written by the Python original (relative times, no schema_version). */
export const seedRuns = join(repoDir, 'fixtures', 'seed-format', 'runs');

/** Starts headless Chromium; rejects (failing the test) when it is not installed. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the dashboard's end-to-end tests drive a real Chromium (apt-get install chromium; .ci/run installs it)`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** `make`, run on the first call only; every call gets its promise. */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | null = null;
  return () => {
    made ??= make();
    return made;
  };
}

/** The browser of one test file: launched by the first test that asks, closed at the end. */
export interface FileBrowser {
  get(): Promise<Browser>;
  close(): Promise<void>;
}

/**
 * One browser per test file. Launched from `before.each` (through `get`), not from `before`:
 * uvu reports an error thrown in `before` as nothing at all (0 of N passed, exit 0), while one
 * in `before.each` fails each test, so a missing Chromium fails the run as it must.
 */
export function fileBrowser(): FileBrowser {
  let asked = false;
  const launch = once(launchBrowser);
  return {
    get: () => {
      asked = true;
      return launch();
    },
    close: async () => {
      if (!asked) return;
      const browser = await launch().catch(() => null);
      await browser?.close();
    },
  };
}

/** What each test of a {@link pageSuite} gets: a dashboard over a fresh store, and a watched page. */
export interface PageContext {
  browser: Browser;
  context: BrowserContext;
  dir: string;
  cleanup: () => void;
  dashboard: Dashboard;
  watched: Watched;
}

/**
 * A suite whose every test gets a dashboard over a fresh temporary file store and a watched
 * page at `viewport`, closed after it (also after a `before.each` that failed half-way).
 */
export function pageSuite(
  name: string,
  viewport: { width: number; height: number },
): Test<PageContext> {
  const test = suite<PageContext>(name);
  const browser = fileBrowser();
  test.after(() => browser.close());
  test.before.each(async (ctx) => {
    ctx.browser = await browser.get();
    Object.assign(ctx, tempDir());
    ctx.dashboard = await startDashboard(ctx.dir);
    ctx.context = await ctx.browser.newContext({ viewport });
    ctx.watched = await watchedPage(ctx.context);
  });
  test.after.each(async (ctx) => {
    await ctx.context?.close();
    await ctx.dashboard?.close();
    ctx.cleanup?.();
  });
  return test;
}

/** A fresh directory under the OS temp dir. */
export function tempDir(prefix = 'ps-dash-e2e-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Copies the seed-format fixtures (harvard_2024: collect, sync) into `root`. */
export function copySeedFixtures(root: string): void {
  cpSync(seedRuns, root, { recursive: true });
}

/** A dashboard server listening on 127.0.0.1 over a file store at `root`. */
export interface Dashboard {
  server: DashboardServer;
  store: FileSummaryStore;
  url: string;
  close(): Promise<void>;
}

/** Starts `createDashboardServer` over a file store at `root` (port 0 unless given). */
export async function startDashboard(
  root: string,
  options: Partial<DashboardOptions> = {},
): Promise<Dashboard> {
  const store = new FileSummaryStore({ root, logger: silentLogger });
  const server = createDashboardServer({
    store,
    storeLabel: root,
    port: 0,
    logger: silentLogger,
    ...options,
  });
  const url = await server.listen();
  return { server, store, url, close: () => server.close() };
}

/** What a page must never do, recorded as it happens. */
export interface Watched {
  page: Page;
  /** CSP violations (the `securitypolicyviolation` event and the console's reports). */
  cspViolations(): Promise<string[]>;
  /** Uncaught exceptions in the page. */
  pageErrors: string[];
  /** Console messages of type error. */
  consoleErrors: string[];
}

/**
 * Opens a page in `context` that records CSP violations, uncaught errors and console errors
 * from its first script on (an init script runs before any of the page's own).
 */
export async function watchedPage(context: BrowserContext): Promise<Watched> {
  const page = await context.newPage();
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (e) => {
      seen.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  const consoleCsp: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (/Content Security Policy/i.test(text)) consoleCsp.push(text);
    consoleErrors.push(text);
  });
  return {
    page,
    pageErrors,
    consoleErrors,
    cspViolations: async () => {
      const inPage = await page
        .evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? [])
        .catch(() => [] as string[]);
      return [...inPage, ...consoleCsp];
    },
  };
}

/** Writes one summary through the store with a manual clock (`start` epoch seconds). */
export async function writeRun(
  store: FileSummaryStore,
  runName: string,
  processName: string,
  build: (summary: ProcessSummary, clock: ManualClock) => void,
  options: { worker?: string; start?: number } = {},
): Promise<ProcessSummary> {
  const clock = createManualClock(options.start ?? Date.now() / 1000 - 3600);
  const summary = new ProcessSummary({
    runName,
    processName,
    clock,
    ...(options.worker === undefined ? {} : { worker: options.worker }),
  });
  summary.startProcess();
  build(summary, clock);
  await store.save(summary);
  return summary;
}

/** `text` as a quoted CSS string (any character a name may hold). */
export function cssString(text: string): string {
  return `"${text.replace(/[\\"]|[^\x20-\x7e]/gu, (c) => `\\${c.codePointAt(0)?.toString(16)} `)}"`;
}

/** The selector of the overview's row of (run, process). */
export function rowSelector(runName: string, processName: string): string {
  return `tr[data-testid="run-row"][data-run=${cssString(runName)}][data-process=${cssString(processName)}]`;
}

const pipelineScript = join(here, 'fixtures', 'pipeline.mjs');

/** A pipeline child process (see fixtures/pipeline.mjs), run on the sources as the tests are. */
export interface Pipeline {
  /** Resolves when it printed `line` (rejects if it ends first). */
  said(line: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** What a pipeline run does: `hang` waits to be killed after its batches. */
export interface PipelineOptions {
  root: string;
  runName: string;
  processName: string;
  mode: 'complete' | 'fail' | 'hang';
  batches: number;
  /** Its clock's start, epoch seconds. */
  start: number;
  /** Seconds its clock moves per batch. */
  step: number;
  worker?: string;
  itemsTotal?: number;
}

export function startPipeline(o: PipelineOptions): Pipeline {
  const args = [
    o.root,
    o.runName,
    o.processName,
    o.mode,
    String(o.batches),
    String(o.start),
    String(o.step),
    o.worker ?? '-',
    ...(o.itemsTotal === undefined ? [] : [String(o.itemsTotal)]),
  ];
  const child = spawn(
    process.execPath,
    ['--conditions=@process-summary/source', '--import', 'tsx', pipelineScript, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: packageDir },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    exited,
    kill: (signal) => child.kill(signal),
    said: (line) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (out.split('\n').includes(line)) {
            child.stdout?.off('data', check);
            resolve();
          }
        };
        child.stdout?.on('data', check);
        check();
        void exited.then(({ code, signal }) => {
          if (!out.split('\n').includes(line)) {
            reject(new Error(`pipeline ended (${code ?? signal}) before "${line}": ${out}${err}`));
          }
        });
      }),
  };
}

/** Items a pipeline processes in `batches` batches (the formula of fixtures/pipeline.mjs). */
export function pipelineItems(batches: number): number {
  let sum = 0;
  for (let i = 1; i <= batches; i++) sum += 40 + Math.round(30 * Math.sin(i / 3)) + (i % 7);
  return sum;
}

/** Runs a pipeline to its end; fails unless it exits 0. */
export async function runPipeline(o: PipelineOptions): Promise<void> {
  const p = startPipeline(o);
  const end = await p.exited;
  if (end.code !== 0)
    throw new Error(`pipeline ${o.runName}/${o.processName} ended ${end.code ?? end.signal}`);
}

/**
 * A run whose first session was killed (SIGKILL) mid-way and a second one resumed and ended it:
 * its journal holds the crash, classified by recovery on resume. Returns the end of its clock.
 */
export async function interruptedRun(
  o: Omit<PipelineOptions, 'mode'> & { gapSeconds: number; outcome?: 'complete' | 'fail' },
): Promise<number> {
  const first = startPipeline({ ...o, mode: 'hang' });
  await first.said('waiting');
  first.kill('SIGKILL');
  await first.exited;
  const start = o.start + o.batches * o.step + o.gapSeconds;
  await runPipeline({ ...o, mode: o.outcome ?? 'complete', start });
  return start + (o.batches + 1) * o.step;
}
