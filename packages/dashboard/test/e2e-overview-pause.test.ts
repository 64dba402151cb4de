/**
 * The overview's "Paused" in real headless Chromium: an event the stream still delivers after
 * the click (the EventSource is closed by an effect that runs only after the next paint)
 * changes nothing on the page.
 */
import * as assert from 'uvu/assert';
import type { RunsResponse, SummaryRow } from '../src/api.js';
import { pageSuite, rowSelector, writeRun } from './_browser.ts';

const test = pageSuite('e2e: overview paused', { width: 1280, height: 800 });

const processedCell = `${rowSelector('pause', 'collect')} [data-testid="processed"]`;

/** Keeps every stream a page opens reachable, to deliver an event the way the browser does. */
function keepStreams(): void {
  const Real = window.EventSource;
  const opened: EventSource[] = [];
  (window as unknown as { __streams: EventSource[] }).__streams = opened;
  window.EventSource = class extends Real {
    constructor(url: string | URL, init?: EventSourceInit) {
      super(url, init);
      opened.push(this);
    }
  };
}

/**
 * Runs in the page: clicks the live toggle (when `click`), then delivers a `row` event on the
 * page's open stream in a task of its own, like a network event: after the click's render,
 * before the effect that closes the stream.
 */
function clickThenDeliver([click, data]: readonly [boolean, unknown]): void {
  if (click) (document.querySelector('[data-testid="live-toggle"]') as HTMLElement).click();
  const opened = (window as unknown as { __streams: EventSource[] }).__streams;
  const source = opened[opened.length - 1] as EventSource;
  setTimeout(() => {
    (window as unknown as { __openAtDelivery: boolean }).__openAtDelivery =
      source.readyState !== EventSource.CLOSED;
    source.dispatchEvent(new MessageEvent('row', { data: JSON.stringify(data) }));
  }, 0);
}

test('an event the stream delivers right after "Paused" is clicked does not change the page', async ({
  dashboard,
  context,
  watched,
}) => {
  const { page } = watched;
  await writeRun(dashboard.store, 'pause', 'collect', () => {});
  await context.addInitScript(keepStreams);
  const answer = (await (await fetch(`${dashboard.url}api/runs`)).json()) as RunsResponse;
  const row: SummaryRow = { ...(answer.rows[0] as SummaryRow), items_processed: 4242 };
  const event = { now: answer.now + 60, row };

  // The same delivery without the click is applied: what the paused page must not do.
  const witness = await context.newPage();
  await witness.goto(dashboard.url);
  await witness.waitForSelector('[data-testid="stream-state"].state-live', { state: 'attached' });
  await witness.evaluate(clickThenDeliver, [false, event] as const);
  await witness.waitForFunction(
    (selector) => (document.querySelector(selector)?.textContent ?? '').startsWith('4,242'),
    processedCell,
  );
  await witness.close();

  await page.goto(dashboard.url);
  await page.waitForSelector('[data-testid="stream-state"].state-live', { state: 'attached' });
  assert.is(((await page.textContent(processedCell)) ?? '').split('/')[0]?.trim(), '0');
  await page.evaluate(clickThenDeliver, [true, event] as const);
  await page.waitForSelector('[data-testid="stream-state"].state-paused', { state: 'attached' });
  // The page batches stream changes for a frame: let any such batch land.
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200)));
  assert.ok(
    await page.evaluate(
      () => (window as unknown as { __openAtDelivery: boolean }).__openAtDelivery,
    ),
    'the event was delivered while the stream was still open',
  );
  assert.is(
    ((await page.textContent(processedCell)) ?? '').split('/')[0]?.trim(),
    '0',
    'a paused page changed on an event',
  );
});

test.run();
