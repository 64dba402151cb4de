/**
 * What the browser makes of attacker-controlled summaries and of a token-protected server, in
 * real headless Chromium: stored strings are shown as text and nothing in them runs, nothing
 * breaks the Content-Security-Policy, and a server with a token refuses a browser without it.
 */
import { ProcessSummary } from '@process-summary/core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type Dashboard,
  fileBrowser,
  rowSelector,
  startDashboard,
  tempDir,
  watchedPage,
  writeRun,
} from './_browser.ts';

interface Ctx {
  browser: Browser;
  dir: string;
  cleanup: () => void;
  dashboard: Dashboard | null;
  contexts: BrowserContext[];
}

const test = suite<Ctx>('e2e: security');
const browser = fileBrowser();
test.after(() => browser.close());
test.before.each(async (ctx) => {
  ctx.dashboard = null;
  ctx.contexts = [];
  ctx.browser = await browser.get();
  Object.assign(ctx, tempDir());
});
// Defensive: it also runs after a before.each that failed half-way.
test.after.each(async (ctx) => {
  for (const c of ctx.contexts ?? []) await c.close();
  await ctx.dashboard?.close();
  ctx.cleanup?.();
});

async function newContext(ctx: Ctx, options: Parameters<Browser['newContext']>[0] = {}) {
  const context = await ctx.browser.newContext({
    viewport: { width: 1280, height: 900 },
    ...options,
  });
  ctx.contexts.push(context);
  return context;
}

// Names as far as core's name rule allows (no "/", no control character, no "@" in a process
// or worker name); everything else where stored text is free: error types and messages,
// progress messages, custom metric keys and values.
const RUN = '<img src=x onerror="window.__pwned=1">';
const PROCESS = '<svg onload="window.__pwned=1">';
const WORKER = 'w"><img src=x onerror=window.__pwned=1>';
const ERROR_TYPE = '<script>window.__pwned=1</script>';
const ERROR_MESSAGE = '</td><img src=x onerror="window.__pwned=1">\u001b[31mred\u0000nul\u202eflip';
const PROGRESS = '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>';
const METRIC_KEY = '<b onmouseover="window.__pwned=1">key</b>';
const METRIC_VALUE = 'javascript:window.__pwned=1';

/** What must be true of any page showing hostile data. */
async function assertInert(page: Page, where: string): Promise<void> {
  const state = await page.evaluate(() => ({
    pwned: (window as unknown as { __pwned?: unknown }).__pwned,
    // Elements or handlers the data would have created had it been parsed as HTML.
    injected: document.querySelectorAll(
      'img[src="x"], iframe, [onerror], [onload], [onmouseover], script:not([src])',
    ).length,
    links: [...document.querySelectorAll('a[href]')]
      .map((a) => a.getAttribute('href') ?? '')
      .filter((h) => /^\s*javascript:/i.test(h)),
    text: document.body.textContent ?? '',
  }));
  assert.is(state.pwned, undefined, `${where}: a script of the data ran`);
  assert.is(state.injected, 0, `${where}: the data made elements`);
  assert.equal(state.links, [], `${where}: a javascript: link`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw control characters
  assert.not.match(state.text, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/, where);
}

test('hostile names, error types and messages, progress messages and custom metrics show as text, run nothing, and break no CSP rule', async (ctx) => {
  ctx.dashboard = await startDashboard(ctx.dir);
  const { store } = ctx.dashboard;
  await writeRun(store, RUN, PROCESS, (s, clock) => {
    s.setItemsTotal(100);
    s.incrementItems({ processed: 50, successful: 40, failed: 10 });
    s.addError(ERROR_TYPE, ERROR_MESSAGE);
    s.addProgressUpdate(PROGRESS, { note: '<script>window.__pwned=1</script>' });
    s.setCustomMetric(METRIC_KEY, METRIC_VALUE);
    s.setCustomMetric('constructor', { __proto__: '<img src=x onerror="window.__pwned=1">' });
    clock.advance(30);
  });
  await writeRun(store, RUN, 'sharded', (s) => s.incrementItems({ processed: 3 }), {
    worker: WORKER,
  });

  const context = await newContext(ctx);
  const watched = await watchedPage(context);
  const { page } = watched;
  await page.goto(ctx.dashboard.url);
  const row = rowSelector(RUN, PROCESS);
  await page.waitForSelector(row);
  const rowText = (await page.textContent(row)) ?? '';
  assert.ok(rowText.includes(RUN), rowText);
  assert.ok(rowText.includes(PROCESS), rowText);
  await assertInert(page, 'overview');

  // Through the page's own link: names travel encoded in the path and come back as text.
  await page.click(`${row} a >> nth=1`);
  await page.waitForSelector('[data-testid="error-row"]');
  const body = (await page.textContent('body')) ?? '';
  for (const text of [RUN, PROCESS, ERROR_TYPE, METRIC_KEY, METRIC_VALUE, PROGRESS]) {
    assert.ok(body.includes(text), `shown as text: ${text}`);
  }
  // Control characters shown escaped, the rest of the message as it is.
  assert.ok(body.includes('\\u001b[31mred'), 'ESC shown as \\u001b');
  assert.ok(body.includes('</td><img src=x onerror="window.__pwned=1">'), 'message as text');
  await assertInert(page, 'run page');

  await page.goto(`${ctx.dashboard.url}runs/${encodeURIComponent(RUN)}/sharded`);
  await page.waitForSelector('[data-testid="worker-row"]');
  assert.is(await page.getAttribute('[data-testid="worker-row"]', 'data-worker'), WORKER);
  assert.ok(((await page.textContent('[data-testid="worker-row"]')) ?? '').includes(WORKER));
  await assertInert(page, 'workers page');

  assert.equal(await watched.cspViolations(), [], 'no CSP violation');
  assert.equal(watched.pageErrors, []);
});

test('a live row event carrying hostile text is inserted as text too', async (ctx) => {
  ctx.dashboard = await startDashboard(ctx.dir);
  const context = await newContext(ctx);
  const watched = await watchedPage(context);
  await watched.page.goto(ctx.dashboard.url);
  await watched.page.waitForSelector('[data-testid="live-toggle"][aria-pressed="true"]');
  // Saved after the page loaded: it arrives by the event stream, not the first fetch.
  await writeRun(ctx.dashboard.store, RUN, PROCESS, (s) => {
    s.incrementItems({ processed: 5, failed: 5 });
    s.addError(ERROR_TYPE, ERROR_MESSAGE);
  });
  await watched.page.waitForSelector(rowSelector(RUN, PROCESS), { timeout: 15_000 });
  await assertInert(watched.page, 'overview after a live event');
  assert.equal(await watched.cspViolations(), []);
});

test('a token-protected server refuses a browser without the token (401) and serves one with it (basic auth), live updates included', async (ctx) => {
  const token = 'e2e-token-7f3a9c';
  ctx.dashboard = await startDashboard(ctx.dir, { token });
  await writeRun(ctx.dashboard.store, 'nightly', 'collect', (s) =>
    s.incrementItems({ processed: 10 }),
  );

  // Without the token, or with a wrong one: the API says 401, and the browser shows no page
  // (Chromium reports a refused challenge as a failed navigation rather than a response).
  for (const credentials of [null, { username: 'viewer', password: 'not-it' }]) {
    const context = await newContext(
      ctx,
      credentials === null ? {} : { httpCredentials: credentials },
    );
    const api = await context.request.get(`${ctx.dashboard.url}api/runs`);
    assert.is(api.status(), 401);
    assert.is((await context.request.get(`${ctx.dashboard.url}healthz`)).status(), 200);
    const page = await context.newPage();
    const outcome = await page.goto(ctx.dashboard.url).then(
      (response) => `status ${response?.status()}`,
      (err: Error) => err.message,
    );
    assert.match(
      outcome,
      /status 401|ERR_INVALID_AUTH_CREDENTIALS|ERR_HTTP_RESPONSE_CODE_FAILURE/,
      JSON.stringify(credentials),
    );
    assert.is(await page.locator('[data-testid="run-row"]').count(), 0);
  }

  const context = await newContext(ctx, {
    httpCredentials: { username: 'viewer', password: token },
  });
  const watched = await watchedPage(context);
  const served = await watched.page.goto(ctx.dashboard.url);
  assert.is(served?.status(), 200);
  await watched.page.waitForSelector(rowSelector('nightly', 'collect'));
  // The event stream is authenticated too: a save shows without a reload.
  const ref = { runName: 'nightly', processName: 'sync' };
  const { lease } = await ctx.dashboard.store.acquire(ref);
  try {
    const summary = new ProcessSummary(ref);
    summary.startProcess();
    summary.incrementItems({ processed: 31 });
    await ctx.dashboard.store.save(summary, lease);
  } finally {
    await ctx.dashboard.store.release(lease);
  }
  await watched.page.waitForSelector(rowSelector('nightly', 'sync'), { timeout: 15_000 });
  assert.equal(await watched.cspViolations(), []);
  assert.equal(watched.pageErrors, []);
});

test.run();
