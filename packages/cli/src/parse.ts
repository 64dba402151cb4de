/** Parsing option values given as text: durations, numbers, dates. */
import { CliError } from './errors.js';

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
};

/** `90`, `90s`, `5m`, `1h30m`, `2d` → seconds. Throws `E_USAGE` naming the option. */
export function parseDuration(option: string, text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new CliError(
      'E_USAGE',
      `--${option} expects a duration like 90s, 5m, 1h30m or 2d, got "${text}"`,
    );
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_SECONDS[p[2] ?? 's'] ?? 1), 0);
}

/** A duration above 0 (a threshold of silence: 0 would make every run stale at once). */
export function parsePositiveDuration(option: string, text: string): number {
  const seconds = parseDuration(option, text);
  if (!(seconds > 0)) {
    throw new CliError('E_USAGE', `--${option} must be longer than 0, got "${text}"`);
  }
  return seconds;
}

/** A finite number ≥ 0. */
export function parseNumber(option: string, text: string): number {
  const value = Number(text.trim().replace(/%$/, ''));
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new CliError('E_USAGE', `--${option} expects a number >= 0, got "${text}"`);
  }
  return value;
}

/** A threshold pair: `N` (critical only) or `W,C` (warning, then critical). */
export interface Threshold {
  warning: number | null;
  critical: number;
}

/** `10` → critical 10; `5,10` → warning 5, critical 10. */
export function parseThreshold(option: string, text: string): Threshold {
  const parts = text.split(',');
  if (parts.length === 1) return { warning: null, critical: parseNumber(option, text) };
  if (parts.length === 2) {
    return {
      warning: parseNumber(option, parts[0] ?? ''),
      critical: parseNumber(option, parts[1] ?? ''),
    };
  }
  throw new CliError('E_USAGE', `--${option} expects N or WARN,CRIT, got "${text}"`);
}

/** `2025-06-15`, `2025-06-15T10:00:00Z` or a duration back from now (`7d`) → epoch seconds. */
export function parseSince(text: string, nowSeconds: number): number {
  if (/^\d+(\.\d+)?[smhdw]/.test(text.trim())) return nowSeconds - parseDuration('since', text);
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) {
    throw new CliError(
      'E_USAGE',
      `--since expects a date (2025-06-15) or a duration back from now (7d), got "${text}"`,
    );
  }
  return ms / 1000;
}
