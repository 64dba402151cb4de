/**
 * Human forms of numbers, sizes, durations and times for the terminal. Every string that
 * comes from a summary goes through `escapeControl` before it reaches the terminal.
 */
import { isRelativeTime } from '@process-summary/core';

/** Escaping lives in `@process-summary/inspect`, one copy for every reader (CLI, dashboard, alerts). */
export { escapeControl, safeJsonStringify as safeJson } from '@process-summary/inspect';

/** `1234567` → `1,234,567`. */
export function formatCount(value: number): string {
  const n = Math.round(value);
  // Grouped by hand: the first toLocaleString of a process loads ICU's number formatting,
  // a tenth of the time of a `show`. Past 2^53 (and ±Infinity, NaN) as toLocaleString says.
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(n < 0 ? -n : n);
  let grouped = digits.slice(0, digits.length % 3 || 3);
  for (let i = grouped.length; i < digits.length; i += 3) grouped += `,${digits.slice(i, i + 3)}`;
  return n < 0 || Object.is(n, -0) ? `-${grouped}` : grouped;
}

/**
 * The rate of a row as the tables show it: none (`-`) for a run that says it is running but
 * is not live (crashed, stale), whose whole-run rate was computed over a run cut short and
 * would read as a speed it does not have; otherwise the row's rate to show.
 */
export function formatRowRate(row: {
  file_status: string;
  current_rate_per_second: number | null;
  rate_per_second: number;
}): string {
  if (row.file_status === 'running' && row.current_rate_per_second === null) return '-';
  return formatRate(row.rate_per_second);
}

/** `1234.5` → `1,234.5`; one decimal under 100, none above. */
export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined || !Number.isFinite(perSecond)) return '-';
  if (perSecond >= 100) return `${formatCount(perSecond)}/s`;
  return `${perSecond.toFixed(1)}/s`;
}

/** `99.6` → `99.6%`. */
export function formatPercent(percent: number | null | undefined): string {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) return '-';
  return `${Number(percent.toFixed(percent >= 99.95 || percent < 0.05 ? 0 : 1))}%`;
}

const SIZE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** Decimal units, as disks and networks count: `1_200_000_000` → `1.2 GB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${SIZE_UNITS[unit]}`;
}

/** `3725` → `1h 02m`, `185` → `3m 05s`, `12.34` → `12.3s`, `0.004` → `4ms`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  if (seconds < 0) return `-${formatDuration(-seconds)}`;
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const total = Math.round(seconds);
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (days > 0) return `${days}d ${two(hours)}h`;
  if (hours > 0) return `${hours}h ${two(minutes)}m`;
  return `${minutes}m ${two(secs)}s`;
}

/** How long ago an epoch time was: `3m ago`, `just now`, `in 2m` (a clock ahead of ours). */
export function formatAgo(epochSeconds: number | null | undefined, nowSeconds: number): string {
  if (epochSeconds === null || epochSeconds === undefined || !Number.isFinite(epochSeconds)) {
    return '-';
  }
  const age = nowSeconds - epochSeconds;
  if (Math.abs(age) < 1) return 'just now';
  if (age < 0) return `in ${formatCoarse(-age)}`;
  return `${formatCoarse(age)} ago`;
}

function formatCoarse(seconds: number): string {
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** An epoch time as a UTC date: `2025-06-15 14:26:40Z`. */
export function formatDate(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  // A time past what a Date holds (a hostile file's 1e300) prints as the number it is;
  // toISOString would throw.
  if (Number.isNaN(date.getTime())) return String(epochSeconds);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/**
 * A stored time: a UTC date for epoch seconds, or for a seed-format perf_counter time the
 * offset from `base` (the run's start), `+12.3s` — never a date in 1970.
 */
export function formatTime(time: number | null | undefined, base: number): string {
  if (time === null || time === undefined || !Number.isFinite(time)) return '-';
  if (isRelativeTime(time)) {
    return `+${formatDuration(Math.max(0, time - base))}`;
  }
  return formatDate(time);
}
