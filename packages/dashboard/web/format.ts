/**
 * Turning the API's numbers and stored strings into text for the pages. Pure and DOM-free:
 * the tests run these under Node.
 */

/**
 * Times below this are not epoch seconds but a seed-format file's `perf_counter()` seconds
 * (the same limit as core's `RELATIVE_TIME_LIMIT`; core is not bundled into the page).
 */
export const RELATIVE_TIME_LIMIT = 1e9;

/** Whether `time` is a seed-format process-clock time (show it as an offset, never a date). */
export function isRelativeTime(time: number): boolean {
  return time < RELATIVE_TIME_LIMIT;
}

const DASH = '—';

// C0 controls, DEL, C1 controls, the line and paragraph separators, and the bidi overrides
// and isolates that make text display in another order than it is stored (inspect's list).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Stored text made visible: every control character is written out as an escape (`\u001b`,
 * `\n`) so that a name cannot hide part of itself, break a line or reorder what follows.
 */
export function escapeControl(text: string, keepNewlines = false): string {
  return text.replace(CONTROL, (char) => {
    if (char === '\n') return keepNewlines ? char : '\\n';
    if (char === '\r') return '\\r';
    if (char === '\t') return '\\t';
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** An integer count with thousands separators: `12,345`. */
export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  const sign = value < 0 ? '-' : '';
  const whole = Math.round(Math.abs(value)).toString();
  return sign + whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Items per second with about three significant digits: `0.42/s`, `12.5/s`, `1,234/s`, `45.6k/s`, `1.3M/s`. */
export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined || !Number.isFinite(perSecond)) return DASH;
  const abs = Math.abs(perSecond);
  if (abs === 0) return '0/s';
  if (abs < 10) return `${trimZeros(perSecond.toFixed(2))}/s`;
  if (abs < 100) return `${trimZeros(perSecond.toFixed(1))}/s`;
  if (abs < 10_000) return `${formatCount(perSecond)}/s`;
  if (abs < 999_950) return `${trimZeros((perSecond / 1000).toFixed(1))}k/s`;
  return `${trimZeros((perSecond / 1_000_000).toFixed(1))}M/s`;
}

function trimZeros(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * A duration at a glance, the way `summary-inspect` writes it: `45s`, `3m 05s`, `1h 02m`,
 * `2d 04h`; under a second `0s`; `—` when unknown.
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return DASH;
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad2(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad2(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${pad2(h % 24)}h`;
}

/** How long ago, ticking: `just now`, `12 s ago`, `3 min ago`, `2 h ago`, `4 d ago`. */
export function formatAgo(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return DASH;
  // A clock a little ahead of the server's must not say "in 1 s".
  const s = Math.max(0, Math.floor(seconds));
  if (s < 1) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/**
 * A span of seconds with the precision a short one needs: `0s`, `7.59ms`, `0.4s`, `12s`,
 * `3m 05s`, `1h 02m` (milliseconds under a second, tenths under a minute: a seed-format run,
 * or a bucket of its timeline, can be that short).
 */
export function formatSpan(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return DASH;
  const abs = Math.abs(seconds);
  const sign = seconds < 0 ? '-' : '';
  if (abs === 0) return '0s';
  // The epsilon keeps 0.0045 (stored as 0.00449999…) from showing as 4.49ms.
  if (abs < 1) return `${sign}${trimZeros((Math.floor(abs * 100_000 + 1e-6) / 100).toFixed(2))}ms`;
  if (abs < 60) return `${sign}${trimZeros((Math.floor(abs * 10 + 1e-6) / 10).toFixed(1))}s`;
  return `${sign}${formatDuration(abs)}`;
}

/** An offset from a run's start, for a seed-format (process-clock) time: `+0s`, `+7.59ms`, `+12.5s`, `+1h 02m`. */
export function formatRelative(offsetSeconds: number | null | undefined): string {
  if (offsetSeconds === null || offsetSeconds === undefined || !Number.isFinite(offsetSeconds)) {
    return DASH;
  }
  return offsetSeconds < 0 ? formatSpan(offsetSeconds) : `+${formatSpan(offsetSeconds)}`;
}

/** Local wall-clock time of epoch seconds: `18:16:05`. */
export function formatClock(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Local date and time of epoch seconds: `2026-11-30 18:16:05`. */
export function formatDate(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${formatClock(epochSeconds)}`;
}

/**
 * A stored time of a run: a local date for epoch seconds, an offset from `start` for a
 * seed-format file's process-clock seconds (never a 1970 date); `—` for none.
 */
export function formatTime(
  time: number | null | undefined,
  start: number | null | undefined,
): string {
  if (time === null || time === undefined || !Number.isFinite(time)) return DASH;
  if (!isRelativeTime(time)) return formatDate(time);
  const base = typeof start === 'number' && Number.isFinite(start) ? start : 0;
  return formatRelative(time - base);
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** A byte count in binary units: `512 B`, `1.5 KiB`, `12 MiB`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return DASH;
  let value = Math.max(0, bytes);
  let unit = 0;
  // Promote on the rounded value: 1,048,575 bytes is "1 MiB", not "1024 KiB".
  while (unit < BYTE_UNITS.length - 1 && Number(roundBytes(value, unit)) >= 1024) {
    value /= 1024;
    unit += 1;
  }
  return `${roundBytes(value, unit)} ${BYTE_UNITS[unit]}`;
}

function roundBytes(value: number, unit: number): string {
  if (unit === 0) return String(Math.round(value));
  return trimZeros(value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0));
}

/** `part` of `whole` in percent, 0–100; `null` without a positive whole. */
export function percent(part: number, whole: number | null | undefined): number | null {
  if (whole === null || whole === undefined || !Number.isFinite(whole) || whole <= 0) return null;
  if (!Number.isFinite(part)) return null;
  return Math.min(100, Math.max(0, (part / whole) * 100));
}

/** A percentage as text, rounded down so that 99.99% never shows as 100%: `42%`, `7.5%`. */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  if (value >= 100) return '100%';
  if (value < 10 && value > 0) return `${trimZeros((Math.floor(value * 10) / 10).toFixed(1))}%`;
  return `${Math.floor(value)}%`;
}

/** The decimals `step` needs to be written exactly (at most 8). */
function decimalsOf(step: number): number {
  for (let d = 0; d < 8; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(Math.round(scaled) - scaled) < 1e-6 * Math.max(1, scaled)) return d;
  }
  return 8;
}

/**
 * The labels of a value axis's ticks (`splits`, `step` apart): short (`1.5k`, `2M`) and with
 * as many decimals as the step needs, so ticks 0.005 apart never read `0.01, 0.01`.
 */
export function axisLabels(splits: readonly number[], step?: number): string[] {
  let incr =
    step !== undefined && Number.isFinite(step) && step > 0 ? step : Number.POSITIVE_INFINITY;
  if (step === undefined || !(step > 0)) {
    for (let i = 1; i < splits.length; i++) {
      const d = Math.abs((splits[i] as number) - (splits[i - 1] as number));
      if (d > 0 && d < incr) incr = d;
    }
  }
  const biggest = Math.max(0, ...splits.map((s) => Math.abs(s)));
  const [unit, suffix] =
    biggest >= 1e9
      ? [1e9, 'G']
      : biggest >= 1e6
        ? [1e6, 'M']
        : biggest >= 1e3
          ? [1e3, 'k']
          : [1, ''];
  const decimals = Number.isFinite(incr) ? decimalsOf(incr / unit) : 2;
  return splits.map((s) => {
    const text = trimZeros((s / unit).toFixed(decimals));
    return text === '0' || text === '-0' ? '0' : `${text}${suffix}`;
  });
}
