import { documentHead, escapeHtml as e } from '@etml/outputs';
import type { DayGap } from './status.ts';

/** One day of the window: its counts from the manifest, or why it has none. */
export interface WindowDay {
  date: string;
  counts?: { rides: number; anomalies: number; calls: number; costUsd: number | null };
  gap?: DayGap;
}

/** Static pages: no script, nothing loaded from elsewhere, the report framed from this origin. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'";

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;margin:0;background:#f5f7fa}
main{max-width:1100px;margin:0 auto;padding:18px 24px}
nav{display:flex;gap:18px;padding:10px 24px;background:#243b53}nav a{color:#fff;text-decoration:none;font-weight:600}
h1{font-size:22px;margin:4px 0 12px}h2{font-size:16px;margin:22px 0 8px}
.panel{background:#fff;border:1px solid #d9e2ec;border-radius:8px;padding:12px}
svg{width:100%;height:auto;font-size:11px;fill:#334e68}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border-bottom:1px solid #e4e7eb;padding:5px 8px;text-align:left}
th{background:#f0f4f8}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.late{color:#a66b00}.failed{color:#b42318}.running{color:#1f5f99}.muted{color:#7b8794}
.downloads{display:flex;gap:16px;margin:0 0 10px}
iframe{width:100%;height:calc(100vh - 150px);min-height:600px;border:1px solid #d9e2ec;border-radius:8px;background:#fff}
`;

const GAP_COLORS = { late: '#f0b429', failed: '#d62728', running: '#2680c2' } as const;

const number = (value: number) => value.toLocaleString('en-US');
const dollars = (value: number | null) => (value === null ? '—' : `$${value.toFixed(4)}`);

function page(title: string, boardPath: string, body: string): string {
  return `${documentHead(title, PAGE_CSP, STYLE)}
<body>
<nav><a href="/reports/">Reports</a><a href="${e(boardPath)}">Queues</a></nav>
<main>
${body}
</main>
</body>
</html>
`;
}

const SERIES = [
  ['rides', (c: NonNullable<WindowDay['counts']>) => c.rides, number],
  ['anomalies', c => c.anomalies, number],
  ['LLM calls', c => c.calls, number],
  ['LLM cost (USD)', c => c.costUsd ?? 0, dollars],
] as const satisfies readonly [
  string,
  (c: NonNullable<WindowDay['counts']>) => number,
  (n: number) => string,
][];

/** Four bar rows over the window, one per series; a day without outputs is a coloured mark. */
function trendSvg(days: WindowDay[]): string {
  const width = 900;
  const left = 130;
  const right = 20;
  const rowHeight = 64;
  const slot = (width - left - right) / Math.max(1, days.length);
  const height = SERIES.length * rowHeight + 24;
  const parts: string[] = [];
  SERIES.forEach(([name, pick, format], row) => {
    const top = row * rowHeight;
    const base = top + rowHeight - 10;
    const most = Math.max(0, ...days.map(d => (d.counts ? pick(d.counts) : 0)));
    parts.push(
      `<text x="0" y="${top + 22}" font-weight="600">${e(name)}</text><text x="0" y="${top + 38}" class="muted">max ${e(format(most))}</text>`,
      `<line x1="${left}" x2="${width - right}" y1="${base}" y2="${base}" stroke="#9aa5b1"/>`,
    );
    days.forEach((day, i) => {
      const x = left + i * slot + slot * 0.15;
      const w = slot * 0.7;
      if (day.counts) {
        const value = pick(day.counts);
        const h = most > 0 ? ((rowHeight - 22) * value) / most : 0;
        parts.push(
          `<rect x="${x.toFixed(1)}" y="${(base - h).toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="${row === 1 ? '#d62728' : '#486581'}"><title>${e(day.date)}: ${e(format(value))} ${e(name)}</title></rect>`,
        );
      } else if (day.gap) {
        parts.push(
          `<rect x="${x.toFixed(1)}" y="${base - 6}" width="${w.toFixed(1)}" height="6" fill="${GAP_COLORS[day.gap.state]}"><title>${e(day.date)}: ${e(day.gap.state)}, ${e(day.gap.detail)}</title></rect>`,
        );
      }
    });
  });
  days.forEach((day, i) => {
    if (i % 5 !== days.length % 5 && i !== days.length - 1) return;
    parts.push(
      `<text x="${(left + i * slot + slot / 2).toFixed(1)}" y="${height - 6}" text-anchor="middle">${e(day.date.slice(5))}</text>`,
    );
  });
  const first = days[0]?.date ?? '';
  const last = days.at(-1)?.date ?? '';
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="Rides, anomalies, LLM calls and cost per day, ${e(first)} to ${e(last)}">${parts.join('')}</svg>`;
}

function dayRow(day: WindowDay): string {
  if (day.counts) {
    const c = day.counts;
    return `<tr><td><a href="${e(day.date)}/">${e(day.date)}</a></td><td class="n">${number(c.rides)}</td><td class="n">${number(c.anomalies)}</td><td class="n">${number(c.calls)}</td><td class="n">${dollars(c.costUsd)}</td><td>complete</td></tr>`;
  }
  const gap = day.gap;
  const state = gap
    ? `<span class="${gap.state}">${e(gap.state)}</span>: ${e(gap.detail)}`
    : '<span class="muted">before the first report</span>';
  return `<tr><td>${e(day.date)}</td><td class="n">—</td><td class="n">—</td><td class="n">—</td><td class="n">—</td><td>${state}</td></tr>`;
}

/** /reports/: the window's trend and days, newest first, then the earlier days with outputs. */
export function reportsIndexPage(
  window: WindowDay[],
  earlier: string[],
  boardPath: string,
): string {
  const newestFirst = [...window].reverse();
  const older = earlier.length
    ? `<h2>Earlier days</h2><p>${earlier.map(d => `<a href="${e(d)}/">${e(d)}</a>`).join(' · ')}</p>`
    : '';
  return page(
    'Ride anomaly reports',
    boardPath,
    `<h1>Ride anomaly reports</h1>
<h2>Last ${window.length} days</h2>
<div class="panel">${trendSvg(window)}</div>
<h2>Days</h2>
<table><thead><tr><th>ride date</th><th class="n">rides</th><th class="n">anomalies</th><th class="n">LLM calls</th><th class="n">LLM cost</th><th>state</th></tr></thead><tbody>${newestFirst.map(dayRow).join('')}</tbody></table>
${older}`,
  );
}

/** /reports/D/: the stored report.html, framed as it is, under its downloads. */
export function dayPage(date: string, boardPath: string): string {
  return page(
    `Ride anomalies ${date}`,
    boardPath,
    `<h1>Report for ${e(date)}</h1>
<p class="downloads"><a href="rides.parquet" download>Download rides.parquet</a><a href="rides.jsonl" download>Download rides.jsonl</a><a href="report.html">Open the report alone</a></p>
<iframe src="report.html" title="Ride anomalies on ${e(date)}"></iframe>`,
  );
}
