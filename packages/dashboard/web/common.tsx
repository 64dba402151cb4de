/** Pieces both pages use: status chips, ticking times, the live bar, progress bars. */
import { Component, type ComponentChildren } from 'preact';
import { useTick } from './clock.js';
import { escapeControl, formatAgo, formatClock, formatPercent } from './format.js';
import type { StreamState } from './live.js';
import type { DisplayStatus } from './table.js';

const ICONS: Readonly<Record<DisplayStatus, string>> = {
  running: '▶',
  stale: '⚠',
  crashed: '✖',
  completed: '✔',
  completed_with_failures: '◐',
  failed: '✖',
  interrupted: '‖',
};

/** A status in words, as `summary-inspect` writes it. */
export function statusWords(status: DisplayStatus): string {
  return status === 'completed_with_failures' ? 'completed with failures' : status;
}

/** A status: an icon, a colour and the word (never colour alone). */
export function StatusChip({ status, title }: { status: DisplayStatus; title?: string | null }) {
  return (
    <span
      class={`chip chip-${status}`}
      data-testid="status"
      data-status={status}
      title={title == null ? undefined : escapeControl(title)}
    >
      <span class="chip-icon" aria-hidden="true">
        {`${ICONS[status]}\ufe0e`}
      </span>
      {statusWords(status)}
    </span>
  );
}

/** Stored text (a name, a message) shown as text with its control characters escaped. */
export function T({ text, lines }: { text: string | null | undefined; lines?: boolean }) {
  return <>{text == null ? '—' : escapeControl(text, lines === true)}</>;
}

/** "12 s ago" for an epoch time, ticking every second against the server's clock. */
export function Ago({ time }: { time: number | null }) {
  const now = useTick();
  const date = time === null ? null : new Date(time * 1000);
  // A time outside what Date holds would make toISOString throw and take the page down.
  if (time === null || date === null || Number.isNaN(date.getTime())) {
    return <span class="muted">—</span>;
  }
  return (
    <time class="ago" dateTime={date.toISOString()} title={date.toLocaleString()}>
      {formatAgo(now - time)}
    </time>
  );
}

/** A bar for a percentage, its width set through the DOM (the CSP forbids style attributes). */
export function ProgressBar({ value }: { value: number | null }) {
  if (value === null) return <span class="muted">—</span>;
  const text = formatPercent(value);
  return (
    <span class="progress">
      <span
        class="bar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(value)}
        aria-label={text}
      >
        <span class="fill" style={{ width: `${value}%` }} />
      </span>
      <span class="num">{text}</span>
    </span>
  );
}

const STATE_WORDS: Readonly<Record<StreamState, string>> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  paused: 'paused',
};

/**
 * The live / paused toggle, the stream's state and "last updated HH:MM:SS (3 s ago)"
 * (`updatedAt` in this machine's epoch seconds, when data last arrived).
 */
export function LiveBar({
  live,
  onToggle,
  state,
  updatedAt,
}: {
  live: boolean;
  onToggle: () => void;
  state: StreamState;
  updatedAt: number | null;
}) {
  useTick();
  const ago = updatedAt === null ? null : Date.now() / 1000 - updatedAt;
  return (
    <div class="livebar">
      <button
        type="button"
        class="live-toggle"
        aria-pressed={live}
        data-testid="live-toggle"
        onClick={onToggle}
        title={live ? 'Pause live updates' : 'Resume live updates'}
      >
        <span class={`dot dot-${state}`} aria-hidden="true" />
        {live ? 'Live' : 'Paused'}
      </button>
      <output class={`stream-state state-${state}`} data-testid="stream-state">
        {state === 'live' || state === 'paused' ? '' : STATE_WORDS[state]}
      </output>
      <span class="last-updated" data-testid="last-updated">
        {updatedAt === null
          ? 'not loaded yet'
          : `last updated ${formatClock(updatedAt)} (${formatAgo(ago)})`}
      </span>
    </div>
  );
}

/** An error or notice above a page's content. */
export function Banner({
  kind,
  children,
}: {
  kind: 'error' | 'warning' | 'info';
  children: ComponentChildren;
}) {
  return (
    <div class={`banner banner-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/** Marks the DOM as just updated from a stream event (benchmarks time save → DOM by it). */
export function markUpdated(): void {
  document.body.dataset.updatedAt = String(performance.now());
}

/**
 * Shows what failed instead of a blank page when rendering throws (a summary shaped in a way
 * the page did not expect). Keyed by the route, so another page starts afresh.
 */
export class ErrorBoundary extends Component<{ children: ComponentChildren }> {
  override state: { error: string | null } = { error: null };

  static override getDerivedStateFromError(error: unknown) {
    return { error: error instanceof Error ? error.message : String(error) };
  }

  override render() {
    if (this.state.error === null) return this.props.children;
    return (
      <main class="page">
        <Banner kind="error">
          This page could not be shown: {escapeControl(this.state.error)}.{' '}
          <a href="./">See all runs</a>
        </Banner>
      </main>
    );
  }
}
