/**
 * The run page's chart (uPlot): items per second and cumulative processed on a second axis,
 * session starts as dashed lines and interruptions as solid lines with a marker, drawn on the
 * canvas in uPlot's `draw` hook. A seed-format run's axis counts from its start (`+1h 02m`).
 * The text equivalent (a sentence, the points as a table, the interruptions as a list) is
 * rendered beside it by {@link ChartText}.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { TimelineResponse } from '../src/api.js';
import { T } from './common.js';
import {
  axisLabels,
  formatCount,
  formatDate,
  formatRate,
  formatRelative,
  formatSpan,
  formatTime,
} from './format.js';

const HEIGHT = 280;
/** Pixels between time ticks: the widest time label and a gap. */
const X_TICK_SPACE = 80;

/** Steps of a relative time axis, in seconds: from tenths of milliseconds (a seed-format run can last 8 ms) to weeks. */
const RELATIVE_INCRS = [
  0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30,
  60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
];

interface Theme {
  rate: string;
  processed: string;
  processedFill: string;
  session: string;
  interruption: string;
  axis: string;
  grid: string;
}

function theme(): Theme {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    rate: v('--chart-rate', '#2563eb'),
    processed: v('--chart-processed', '#059669'),
    processedFill: v('--chart-processed-fill', 'rgba(5,150,105,0.12)'),
    session: v('--chart-session', '#6b7280'),
    interruption: v('--chart-interruption', '#dc2626'),
    axis: v('--fg-muted', '#555'),
    grid: v('--grid', 'rgba(0,0,0,0.08)'),
  };
}

/** x values of the chart: epoch seconds, or seconds since the start for a relative run. */
function xOf(timeline: TimelineResponse, t: number): number {
  return timeline.time_base === 'relative' ? t - timeline.start_time : t;
}

function dataOf(timeline: TimelineResponse): uPlot.AlignedData {
  return [
    timeline.points.map((p) => xOf(timeline, p.t)),
    timeline.points.map((p) => p.rate),
    timeline.points.map((p) => p.processed),
  ];
}

function optionsOf(
  timeline: TimelineResponse,
  width: number,
  colors: Theme,
  markers: { current: TimelineResponse },
): uPlot.Options {
  const relative = timeline.time_base === 'relative';
  const axisStyle = {
    stroke: colors.axis,
    grid: { stroke: colors.grid, width: 1 },
    ticks: { stroke: colors.grid, width: 1 },
  };
  return {
    width,
    height: HEIGHT,
    scales: {
      x: {
        time: !relative,
        // One point (or all at one time) would otherwise spread the axis over years.
        range: (_u, min, max) =>
          min === max
            ? [
                min - Math.max(1, timeline.bucket_seconds),
                max + Math.max(1, timeline.bucket_seconds),
              ]
            : [min, max],
      },
      rate: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      processed: { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] },
    },
    axes: [
      // uPlot does not measure labels: a time label (`7:14:30pm`, `+1h 02m`) needs more than
      // its default 50 px per tick, or neighbours overlap on a phone.
      relative
        ? {
            ...axisStyle,
            space: X_TICK_SPACE,
            incrs: RELATIVE_INCRS,
            values: (_u, splits) => splits.map((s) => formatRelative(s)),
          }
        : { ...axisStyle, space: X_TICK_SPACE },
      {
        ...axisStyle,
        scale: 'rate',
        label: 'items/s',
        values: (_u, splits, _axis, _space, step) => axisLabels(splits, step),
      },
      {
        ...axisStyle,
        scale: 'processed',
        side: 1,
        label: 'processed',
        grid: { show: false },
        values: (_u, splits, _axis, _space, step) => axisLabels(splits, step),
      },
    ],
    series: [
      {
        label: relative ? 'since start' : 'time',
        value: (_u, v) => (v == null ? '—' : relative ? formatRelative(v) : formatDate(v)),
      },
      {
        label: 'items/s',
        scale: 'rate',
        stroke: colors.rate,
        width: 2,
        value: (_u, v) => (v == null ? '—' : formatRate(v)),
      },
      {
        label: 'processed',
        scale: 'processed',
        stroke: colors.processed,
        fill: colors.processedFill,
        width: 1.5,
        points: { show: false },
        value: (_u, v) => (v == null ? '—' : formatCount(v)),
      },
    ],
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    hooks: {
      draw: [(u) => drawMarkers(u, markers.current, colors)],
    },
  };
}

/** Session boundaries (dashed) and interruptions (solid, with a downward triangle on top). */
function drawMarkers(u: uPlot, timeline: TimelineResponse, colors: Theme): void {
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  const ratio = uPlot.pxRatio;
  const xAt = (t: number) => u.valToPos(xOf(timeline, t), 'x', true);
  const inside = (x: number) => Number.isFinite(x) && x >= left - 1 && x <= left + width + 1;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.lineWidth = Math.max(1, ratio);
  ctx.strokeStyle = colors.session;
  ctx.setLineDash([4 * ratio, 4 * ratio]);
  const interrupted = new Set(timeline.interruptions.map((i) => i.time));
  const boundaries = new Set<number>();
  for (const session of timeline.sessions) {
    boundaries.add(session.start);
    if (session.end !== null) boundaries.add(session.end);
  }
  for (const t of boundaries) {
    if (interrupted.has(t)) continue;
    const x = Math.round(xAt(t));
    if (!inside(x)) continue;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.strokeStyle = colors.interruption;
  ctx.fillStyle = colors.interruption;
  ctx.lineWidth = 2 * ratio;
  const size = 6 * ratio;
  for (const interruption of timeline.interruptions) {
    const x = Math.round(xAt(interruption.time));
    if (!inside(x)) continue;
    ctx.beginPath();
    ctx.moveTo(x, top + size);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(x - size, top);
    ctx.lineTo(x + size, top);
    ctx.lineTo(x, top + size * 1.6);
    ctx.closePath();
    ctx.fill();
  }
  ctx.restore();
}

/** The chart; kept and fed new data while the timeline changes, rebuilt when the theme does. */
export function Chart({ timeline }: { timeline: TimelineResponse }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const markers = useRef(timeline);
  const timeBase = useRef(timeline.time_base);
  markers.current = timeline;

  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    let u: uPlot | null = null;
    const build = () => {
      u?.destroy();
      const current = markers.current;
      timeBase.current = current.time_base;
      u = new uPlot(
        optionsOf(current, Math.max(200, element.clientWidth), theme(), markers),
        dataOf(current),
        element,
      );
      plot.current = u;
    };
    build();
    const scheme = window.matchMedia('(prefers-color-scheme: dark)');
    scheme.addEventListener('change', build);
    const resize = new ResizeObserver(() => {
      if (u !== null && element.clientWidth > 0 && element.clientWidth !== u.width) {
        u.setSize({ width: element.clientWidth, height: HEIGHT });
      }
    });
    resize.observe(element);
    return () => {
      scheme.removeEventListener('change', build);
      resize.disconnect();
      u?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    const u = plot.current;
    if (u === null) return;
    if (timeBase.current !== timeline.time_base) {
      // Another axis kind: rebuild rather than reconfigure.
      u.destroy();
      timeBase.current = timeline.time_base;
      const element = box.current as HTMLDivElement;
      plot.current = new uPlot(
        optionsOf(timeline, Math.max(200, element.clientWidth), theme(), markers),
        dataOf(timeline),
        element,
      );
      return;
    }
    u.setData(dataOf(timeline));
  }, [timeline]);

  return (
    <div
      class="chart"
      ref={box}
      data-testid="chart"
      role="img"
      aria-label="Throughput over time; the same data follows as text"
    />
  );
}

/** The chart's text equivalent: a summary sentence, the points as a table, the interruptions. */
export function ChartText({ timeline }: { timeline: TimelineResponse }) {
  const { points, sessions, interruptions } = timeline;
  const when = (t: number) => formatTime(t, timeline.start_time);
  const rates = points.filter((p) => p.rate !== null);
  const peak = rates.reduce<(typeof points)[number] | null>(
    (best, p) => (best === null || (p.rate ?? 0) > (best.rate ?? 0) ? p : best),
    null,
  );
  const first = points[0];
  const last = points[points.length - 1];
  const source =
    timeline.source === 'journal'
      ? 'the journal'
      : timeline.source === 'progress_updates'
        ? 'the progress updates kept in the summary'
        : 'nothing recorded';
  return (
    <div class="chart-text">
      <p data-testid="chart-summary">
        {first === undefined || last === undefined
          ? 'No progress has been recorded yet.'
          : `From ${when(first.t)} to ${when(last.t)}, processed went from ${formatCount(first.processed)} to ${formatCount(last.processed)}` +
            (peak !== null && peak.rate !== null
              ? `, peaking at ${formatRate(peak.rate)} at ${when(peak.t)}`
              : '') +
            `. ${sessions.length} session${sessions.length === 1 ? '' : 's'}, ${interruptions.length} interruption${interruptions.length === 1 ? '' : 's'}; ${points.length} points of ${formatSpan(timeline.bucket_seconds)} each, from ${source}.`}
      </p>
      {interruptions.length > 0 && (
        <>
          <h3>Interruptions</h3>
          <ul class="interruptions">
            {interruptions.map((i, index) => (
              <li key={index} data-testid="interruption" data-reason={i.reason}>
                <span class="marker" aria-hidden="true">
                  ▼
                </span>
                <time>{when(i.time)}</time>{' '}
                <strong>
                  <T text={i.reason} />
                </strong>
                {i.worker !== null && (
                  <>
                    {' '}
                    (worker <T text={i.worker} />)
                  </>
                )}
                {i.detail !== '' && (
                  <>
                    : <T text={i.detail} />
                  </>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      {points.length > 0 && (
        <details class="points">
          <summary>The chart's data as a table ({formatCount(points.length)} points)</summary>
          <div class="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col" class="num">
                    Items/s
                  </th>
                  <th scope="col" class="num">
                    Processed
                  </th>
                </tr>
              </thead>
              <tbody>
                {points.map((p) => (
                  <tr key={p.t}>
                    <td class="nowrap">{when(p.t)}</td>
                    <td class="num">{p.rate === null ? 'not running' : formatRate(p.rate)}</td>
                    <td class="num">{formatCount(p.processed)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </div>
  );
}
