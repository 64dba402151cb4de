import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  axisLabels,
  escapeControl,
  formatAgo,
  formatBytes,
  formatClock,
  formatCount,
  formatDate,
  formatDuration,
  formatPercent,
  formatRate,
  formatRelative,
  formatSpan,
  formatTime,
  isRelativeTime,
  percent,
} from '../web/format.js';

test('control characters in stored text are shown escaped, never raw', () => {
  assert.is(escapeControl('a\u001b[31mb\u0007'), 'a\\u001b[31mb\\u0007');
  assert.is(escapeControl('line\nnext\r\ttab'), 'line\\nnext\\r\\ttab');
  assert.is(
    escapeControl('\u009b2J \u202eevil \u2066x\u2069 \u2028'),
    '\\u009b2J \\u202eevil \\u2066x\\u2069 \\u2028',
  );
  assert.is(escapeControl('\u0000\u007f'), '\\u0000\\u007f');
  assert.is(escapeControl('<script>alert(1)</script> é 日本'), '<script>alert(1)</script> é 日本');
});

test('a block shown as lines keeps its line feeds and still escapes the rest', () => {
  assert.is(escapeControl('{\n  "a": "\u001b"\n}', true), '{\n  "a": "\\u001b"\n}');
  assert.is(escapeControl('a\r\n\u202e', true), 'a\\r\n\\u202e');
});

test('counts get thousands separators and unknowns a dash', () => {
  assert.is(formatCount(0), '0');
  assert.is(formatCount(999), '999');
  assert.is(formatCount(1000), '1,000');
  assert.is(formatCount(1234567), '1,234,567');
  assert.is(formatCount(-12345), '-12,345');
  assert.is(formatCount(null), '—');
  assert.is(formatCount(Number.NaN), '—');
});

test('rates keep about three significant digits with a unit', () => {
  assert.is(formatRate(0), '0/s');
  assert.is(formatRate(0.4215), '0.42/s');
  assert.is(formatRate(3), '3/s');
  assert.is(formatRate(12.54), '12.5/s');
  assert.is(formatRate(748.3), '748/s');
  assert.is(formatRate(1234.4), '1,234/s');
  assert.is(formatRate(45_678), '45.7k/s');
  assert.is(formatRate(999_949), '999.9k/s');
  assert.is(formatRate(1_347_102), '1.3M/s');
  assert.is(formatRate(21_300_000), '21.3M/s');
  assert.is(formatRate(null), '—');
  assert.is(formatRate(Number.POSITIVE_INFINITY), '—');
});

test('durations read at a glance, in whole units', () => {
  assert.is(formatDuration(0.4), '0s');
  assert.is(formatDuration(45), '45s');
  assert.is(formatDuration(185), '3m 05s');
  assert.is(formatDuration(3720), '1h 02m');
  assert.is(formatDuration(2 * 86400 + 4 * 3600 + 59), '2d 04h');
  assert.is(formatDuration(-5), '0s');
  assert.is(formatDuration(null), '—');
});

test('"ago" counts whole seconds, then minutes, hours and days, never into the future', () => {
  assert.is(formatAgo(0.5), 'just now');
  assert.is(formatAgo(-3), 'just now');
  assert.is(formatAgo(12.9), '12 s ago');
  assert.is(formatAgo(59), '59 s ago');
  assert.is(formatAgo(60), '1 min ago');
  assert.is(formatAgo(3599), '59 min ago');
  assert.is(formatAgo(7200), '2 h ago');
  assert.is(formatAgo(3 * 86400 + 5), '3 d ago');
  assert.is(formatAgo(null), '—');
});

test('relative times are offsets from the start, in milliseconds under a second and tenths under a minute', () => {
  assert.is(formatRelative(0), '+0s');
  assert.is(formatRelative(0.00758946), '+7.58ms');
  assert.is(formatRelative(0.46), '+460ms');
  assert.is(formatRelative(1.46), '+1.4s');
  assert.is(formatRelative(12), '+12s');
  assert.is(formatRelative(185), '+3m 05s');
  assert.is(formatRelative(3720), '+1h 02m');
  assert.is(formatRelative(-2.5), '-2.5s');
  assert.is(formatRelative(undefined), '—');
});

test('a seed-format time is shown as an offset from the start, never as a 1970 date', () => {
  assert.ok(isRelativeTime(123_456.7));
  assert.not.ok(isRelativeTime(1_796_000_000));
  assert.is(formatTime(12_345 + 3720, 12_345), '+1h 02m');
  assert.is(formatTime(500.25, 500), '+250ms');
  assert.is(formatTime(322.302455085, 322.294865619), '+7.58ms');
  assert.not.match(formatTime(86_400 * 3, 0), /1970/);
  assert.is(formatTime(null, 0), '—');
});

test('a span keeps the precision a short one needs', () => {
  assert.is(formatSpan(0), '0s');
  assert.is(formatSpan(0.00005), '0.05ms');
  assert.is(formatSpan(0.0045), '4.5ms');
  assert.is(formatSpan(0.3), '300ms');
  assert.is(formatSpan(4.3), '4.3s');
  assert.is(formatSpan(0.25), '250ms');
  assert.is(formatSpan(59.99), '59.9s');
  assert.is(formatSpan(60), '1m 00s');
  assert.is(formatSpan(-0.5), '-500ms');
  assert.is(formatSpan(null), '—');
});

test('an epoch time is a local date and clock time', () => {
  // Built from local fields, so the test holds in any time zone.
  const epoch = new Date(2026, 10, 30, 8, 5, 9).getTime() / 1000;
  assert.is(formatClock(epoch), '08:05:09');
  assert.is(formatDate(epoch), '2026-11-30 08:05:09');
  assert.is(formatTime(epoch, epoch - 60), '2026-11-30 08:05:09');
});

test('bytes use binary units and promote when rounding reaches the next one', () => {
  assert.is(formatBytes(0), '0 B');
  assert.is(formatBytes(512), '512 B');
  assert.is(formatBytes(1536), '1.5 KiB');
  assert.is(formatBytes(10.5 * 1024 * 1024), '10.5 MiB');
  assert.is(formatBytes(1_048_575), '1 MiB');
  assert.is(formatBytes(8.5 * 1024 ** 3), '8.5 GiB');
  assert.is(formatBytes(null), '—');
});

test('percent is bounded to 0..100 and needs a positive whole', () => {
  assert.is(percent(25, 100), 25);
  assert.is(percent(150, 100), 100);
  assert.is(percent(-1, 100), 0);
  assert.is(percent(5, 0), null);
  assert.is(percent(5, null), null);
  assert.is(percent(Number.NaN, 10), null);
});

test('a percentage is rounded down so that an unfinished run never shows 100%', () => {
  assert.is(formatPercent(99.99), '99%');
  assert.is(formatPercent(100), '100%');
  assert.is(formatPercent(42.7), '42%');
  assert.is(formatPercent(7.56), '7.5%');
  assert.is(formatPercent(0), '0%');
  assert.is(formatPercent(null), '—');
});

test('chart axis labels are as precise as their ticks are apart, and short', () => {
  // A slow run's rate axis: ticks 0.005 apart once all read 0.01.
  assert.equal(axisLabels([0, 0.005, 0.01, 0.015, 0.02], 0.005), [
    '0',
    '0.005',
    '0.01',
    '0.015',
    '0.02',
  ]);
  assert.equal(axisLabels([0, 0.25, 0.5, 0.75], 0.25), ['0', '0.25', '0.5', '0.75']);
  assert.equal(axisLabels([0, 10, 20, 30, 40], 10), ['0', '10', '20', '30', '40']);
  assert.equal(axisLabels([0, 500, 1000, 1500, 2000, 2500], 500), [
    '0',
    '0.5k',
    '1k',
    '1.5k',
    '2k',
    '2.5k',
  ]);
  assert.equal(axisLabels([1_000_000, 1_050_000, 1_100_000], 50_000), ['1M', '1.05M', '1.1M']);
  assert.equal(axisLabels([0, 2e9], 1e9), ['0', '2G']);
  // Without the step, the ticks' own spacing decides; the labels never repeat.
  const labels = axisLabels([0.001, 0.002, 0.003]);
  assert.equal(labels, ['0.001', '0.002', '0.003']);
});

test.run();
