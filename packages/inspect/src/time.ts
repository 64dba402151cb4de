/**
 * Times and durations as the read side hands them to renderers. The file's times are epoch
 * seconds, except in seed-format files, whose perf_counter seconds mean nothing outside the
 * process that wrote them: those are given as offsets from the run's start, never as dates.
 */
import { isRelativeTime } from '@process-summary/core';

/** A stored time, ready to show: a date, or an offset from the run's start (seed format). */
export type DisplayTime =
  | { kind: 'date'; epochSeconds: number }
  | { kind: 'relative'; offsetSeconds: number };

/**
 * How to show `time` of a run that started at `start`: a date for epoch seconds, an offset
 * from the start for perf_counter seconds (seed format); `null` for no time.
 */
export function displayTime(
  time: number | null | undefined,
  start: number | null | undefined,
): DisplayTime | null {
  if (time === null || time === undefined || !Number.isFinite(time)) return null;
  if (!isRelativeTime(time)) return { kind: 'date', epochSeconds: time };
  const base = typeof start === 'number' && Number.isFinite(start) ? start : 0;
  return { kind: 'relative', offsetSeconds: Math.max(0, time - base) };
}

/** A stored time as epoch seconds, or `null` when it is a seed-format relative time. */
export function epochOrNull(time: number | null | undefined): number | null {
  if (time === null || time === undefined || !Number.isFinite(time)) return null;
  return isRelativeTime(time) ? null : time;
}

/**
 * A duration in words a person reads at a glance: `45s`, `3m 05s`, `1h 02m`, `2d 04h`;
 * under a second, `0s`. Whole seconds: the read side never claims more precision than a
 * save interval has.
 */
export function humanizeSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  if (seconds < 0) return `-${humanizeSeconds(-seconds)}`;
  const total = Math.floor(seconds);
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (days > 0) return `${days}d ${two(hours)}h`;
  if (hours > 0) return `${hours}h ${two(minutes)}m`;
  if (minutes > 0) return `${minutes}m ${two(secs)}s`;
  return `${secs}s`;
}

/** An epoch time as a UTC date: `2025-06-15 14:26:40Z`. */
export function formatUtc(epochSeconds: number): string {
  return `${new Date(epochSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}
