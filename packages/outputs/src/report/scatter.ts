import type { DayRides } from './collect.ts';
import { escapeHtml } from './html.ts';

/**
 * Up to this many rides the plot draws every ride as a point. Above it, the normal rides become a
 * density grid (a cell's shade grows with the log of its ride count), and every anomaly is still
 * drawn as a point on top: an SVG of a million points is too heavy to open.
 */
export const SCATTER_POINTS_MAX = 5_000;

const WIDTH = 760;
const HEIGHT = 440;
const MARGIN = { top: 16, right: 20, bottom: 48, left: 64 };
const GRID = { columns: 95, rows: 47 };

const REASON_COLORS: Record<string, string> = {
  long_distance: '#d62728',
  long_time: '#e8850c',
  high_speed: '#8e44ad',
  low_speed: '#1f6fb4',
  unexplained: '#111827',
};
const COMBINATION_COLORS = ['#c2185b', '#00897b', '#6d4c41', '#7cb342', '#5c6bc0', '#f4511e'];
export const NORMAL_COLOR = '#8795a6';

/** A colour for each reason key, stable for the same keys. */
export function legendColors(keys: Iterable<string>): Map<string, string> {
  const colors = new Map<string, string>();
  let next = 0;
  for (const key of [...new Set(keys)].sort()) {
    colors.set(
      key,
      REASON_COLORS[key] ?? COMBINATION_COLORS[next++ % COMBINATION_COLORS.length] ?? '#000',
    );
  }
  return colors;
}

/** A round axis end and tick step covering `max`: 1, 2 or 5 times a power of ten per tick. */
export function niceAxis(max: number, ticks = 5): { end: number; step: number } {
  if (!(max > 0) || !Number.isFinite(max)) return { end: 1, step: 0.2 };
  const raw = max / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map(m => m * power).find(s => s >= raw) ?? raw;
  return { end: Math.ceil(max / step - 1e-9) * step, step };
}

const fixed = (value: number) => value.toFixed(1);
const label = (value: number) => String(Number(value.toPrecision(6)));

function axes(x: { end: number; step: number }, y: { end: number; step: number }): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const parts: string[] = [];
  for (let v = 0; v <= x.end + 1e-9; v += x.step) {
    const px = fixed(MARGIN.left + (v / x.end) * plotW);
    parts.push(
      `<line x1="${px}" y1="${MARGIN.top}" x2="${px}" y2="${MARGIN.top + plotH}" class="grid"/>`,
      `<text x="${px}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${label(v)}</text>`,
    );
  }
  for (let v = 0; v <= y.end + 1e-9; v += y.step) {
    const py = fixed(MARGIN.top + plotH - (v / y.end) * plotH);
    parts.push(
      `<line x1="${MARGIN.left}" y1="${py}" x2="${MARGIN.left + plotW}" y2="${py}" class="grid"/>`,
      `<text x="${MARGIN.left - 8}" y="${py}" text-anchor="end" dominant-baseline="middle">${label(v)}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" class="frame"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle" class="axis">ride distance (km)</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="axis">ride time (min)</text>`,
  );
  return parts.join('');
}

/**
 * The day's rides, distance against time, as an SVG drawn in Node: normal rides in grey (points
 * or density cells), anomalies as points coloured by their reasons. Zero-length path segments
 * with round caps draw a dot each in far fewer bytes than a circle element each.
 */
export function scatterSvg(day: DayRides, colors: Map<string, string>): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  let maxDist = 0;
  let maxMinutes = 0;
  for (let i = 0; i < day.rides; i += 1) {
    maxDist = Math.max(maxDist, day.dist[i] ?? 0);
    maxMinutes = Math.max(maxMinutes, (day.time[i] ?? 0) * 60);
  }
  // A little headroom, so the farthest ride is not drawn on the frame.
  const x = niceAxis(maxDist * 1.02);
  const y = niceAxis(maxMinutes * 1.02);
  const px = (i: number) => MARGIN.left + ((day.dist[i] ?? 0) / x.end) * plotW;
  const py = (i: number) => MARGIN.top + plotH - (((day.time[i] ?? 0) * 60) / y.end) * plotH;

  const anomalous = new Uint8Array(day.rides);
  for (const i of day.anomalyIndex) anomalous[i] = 1;

  const layers: string[] = [];
  if (day.rides <= SCATTER_POINTS_MAX) {
    const dots: string[] = [];
    for (let i = 0; i < day.rides; i += 1) {
      if (!anomalous[i]) dots.push(`M${fixed(px(i))} ${fixed(py(i))}h0`);
    }
    if (dots.length > 0) {
      layers.push(`<path d="${dots.join('')}" class="normal" stroke="${NORMAL_COLOR}"/>`);
    }
  } else {
    const counts = new Uint32Array(GRID.columns * GRID.rows);
    for (let i = 0; i < day.rides; i += 1) {
      if (anomalous[i]) continue;
      const column = Math.min(
        GRID.columns - 1,
        Math.floor(((px(i) - MARGIN.left) / plotW) * GRID.columns),
      );
      const row = Math.min(GRID.rows - 1, Math.floor(((py(i) - MARGIN.top) / plotH) * GRID.rows));
      counts[row * GRID.columns + column] = (counts[row * GRID.columns + column] ?? 0) + 1;
    }
    const most = Math.max(1, ...counts);
    const cellW = plotW / GRID.columns;
    const cellH = plotH / GRID.rows;
    const cells: string[] = [];
    for (let c = 0; c < counts.length; c += 1) {
      const count = counts[c] ?? 0;
      if (count === 0) continue;
      const shade = 0.12 + (0.88 * Math.log1p(count)) / Math.log1p(most);
      cells.push(
        `<rect x="${fixed(MARGIN.left + (c % GRID.columns) * cellW)}" y="${fixed(MARGIN.top + Math.floor(c / GRID.columns) * cellH)}" width="${fixed(cellW + 0.2)}" height="${fixed(cellH + 0.2)}" fill-opacity="${shade.toFixed(3)}"><title>${count} rides</title></rect>`,
      );
    }
    layers.push(`<g fill="${NORMAL_COLOR}">${cells.join('')}</g>`);
  }

  const byKey = new Map<string, string[]>();
  day.anomalyIndex.forEach((ride, n) => {
    const key = day.anomalyKeys[n] ?? 'unexplained';
    const dots = byKey.get(key) ?? [];
    dots.push(`M${fixed(px(ride))} ${fixed(py(ride))}h0`);
    byKey.set(key, dots);
  });
  for (const [key, dots] of [...byKey].sort(([a], [b]) => a.localeCompare(b))) {
    layers.push(
      `<path d="${dots.join('')}" class="anomaly" stroke="${colors.get(key) ?? '#000'}"><title>${escapeHtml(key.replaceAll('+', ', '))}: ${dots.length}</title></path>`,
    );
  }

  const mode =
    day.rides <= SCATTER_POINTS_MAX
      ? `every ride drawn`
      : `normal rides as density cells, every anomaly drawn`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Ride distance against ride time: ${day.rides} rides, ${day.anomalies} anomalies (${mode})">` +
    axes(x, y) +
    layers.join('') +
    '</svg>'
  );
}
