import type { DayRides } from './collect.ts';
import { documentHead, escapeHtml as e } from './html.ts';
import { legendColors, NORMAL_COLOR, SCATTER_POINTS_MAX, scatterSvg } from './scatter.ts';

/** What the report says about the day beyond its rides: from the clustering and the model. */
export interface ReportContext {
  date: string;
  /** Input rows refused by validation (they are in rejected/date=D/rows.jsonl). */
  rejected: number;
  clusters: number;
  dbscan: { eps: number; minSamples: number };
  model: string;
  promptVersion: string;
}

/** One earlier day in the trend, from its manifest; null counts when it has no manifest. */
export interface TrendDay {
  date: string;
  rides: number | null;
  anomalies: number | null;
}

const number = (value: number) => value.toLocaleString('en-US');
const percent = (part: number, whole: number) =>
  whole === 0 ? '0%' : `${((100 * part) / whole).toFixed(part * 1000 < whole ? 2 : 1)}%`;
const decimals = (value: number | null, digits: number) =>
  value === null || !Number.isFinite(value) ? '—' : value.toFixed(digits);

// The report runs no script and loads nothing: this policy is a second wall behind the escaping.
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;margin:0;background:#f5f7fa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.sub{color:#52606d;margin:0 0 18px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #d9e2ec;border-radius:8px;padding:10px 16px;min-width:130px}
.card b{display:block;font-size:22px}.card span{color:#52606d;font-size:12px}
.panel{background:#fff;border:1px solid #d9e2ec;border-radius:8px;padding:14px}
svg{width:100%;height:auto;font-size:12px;fill:#334e68}
svg .grid{stroke:#e4e7eb;stroke-width:1}svg .frame{fill:none;stroke:#9aa5b1}
svg .axis{font-size:13px;fill:#1f2933}
svg .normal{stroke-width:3.5;stroke-linecap:round;fill:none;stroke-opacity:.55}
svg .anomaly{stroke-width:7;stroke-linecap:round;fill:none}
.legend{display:flex;flex-wrap:wrap;gap:14px;margin:8px 0 0;padding:0;list-style:none;font-size:13px}
.swatch{display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:6px;vertical-align:-1px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border-bottom:1px solid #e4e7eb;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f0f4f8;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.bar{display:inline-block;height:10px;background:#d62728;border-radius:2px;vertical-align:middle}
details summary{cursor:pointer;color:#486581}.ctx{white-space:pre-wrap;color:#52606d;margin:4px 0}
.failed{color:#b42318}.muted{color:#7b8794}
footer{color:#7b8794;font-size:12px;margin:28px 0 8px}
`;

function cards(day: DayRides, context: ReportContext): string {
  const card = (value: string, what: string) =>
    `<div class="card"><b>${value}</b><span>${what}</span></div>`;
  const failed = day.bySource.failed ?? 0;
  return `<div class="cards">${[
    card(number(day.rides), 'rides'),
    card(number(day.anomalies), `anomalies (${percent(day.anomalies, day.rides)})`),
    card(number(context.clusters), 'clusters'),
    card(number(context.rejected), 'rows rejected'),
    card(number(failed), 'summaries failed'),
  ].join('')}</div>`;
}

function reasonsTable(day: DayRides): string {
  const rows = Object.entries(day.byReason).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  if (rows.length === 0) return '<p class="muted">No anomalies.</p>';
  const most = Math.max(...rows.map(([, n]) => n));
  return `<table><thead><tr><th>reason</th><th class="n">anomalies</th><th class="n">share of rides</th><th></th></tr></thead><tbody>${rows
    .map(
      ([reason, n]) =>
        `<tr><td>${e(reason)}</td><td class="n">${number(n)}</td><td class="n">${percent(n, day.rides)}</td><td style="width:40%"><span class="bar" style="width:${((100 * n) / most).toFixed(1)}%"></span></td></tr>`,
    )
    .join('')}</tbody></table>`;
}

function trendSection(day: DayRides, context: ReportContext, earlier: TrendDay[]): string {
  const days: TrendDay[] = [
    ...earlier,
    { date: context.date, rides: day.rides, anomalies: day.anomalies },
  ];
  const most = Math.max(1, ...days.map(d => d.anomalies ?? 0));
  const width = 760;
  const height = 150;
  const slot = width / days.length;
  const bars = days
    .map((d, i) => {
      const x = (i * slot + slot * 0.2).toFixed(1);
      const label = `<text x="${(i * slot + slot / 2).toFixed(1)}" y="${height - 4}" text-anchor="middle">${e(d.date.slice(5))}</text>`;
      if (d.anomalies === null) {
        return `${label}<text x="${(i * slot + slot / 2).toFixed(1)}" y="${height - 30}" text-anchor="middle" class="muted">no data</text>`;
      }
      const h = ((height - 40) * d.anomalies) / most;
      const fill = d.date === context.date ? '#d62728' : '#e8a0a0';
      return `${label}<rect x="${x}" y="${(height - 22 - h).toFixed(1)}" width="${(slot * 0.6).toFixed(1)}" height="${h.toFixed(1)}" fill="${fill}"><title>${e(d.date)}: ${d.anomalies} anomalies</title></rect><text x="${(i * slot + slot / 2).toFixed(1)}" y="${(height - 26 - h).toFixed(1)}" text-anchor="middle">${d.anomalies}</text>`;
    })
    .join('');
  const rows = days
    .map(
      d =>
        `<tr><td>${e(d.date)}</td><td class="n">${d.rides === null ? '—' : number(d.rides)}</td><td class="n">${d.anomalies === null ? '—' : number(d.anomalies)}</td><td class="n">${d.rides === null || d.anomalies === null ? '—' : percent(d.anomalies, d.rides)}</td></tr>`,
    )
    .join('');
  return `<div class="panel"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="Anomalies per day, ${e(days[0]?.date)} to ${e(context.date)}">${bars}</svg>
<table><thead><tr><th>ride date</th><th class="n">rides</th><th class="n">anomalies</th><th class="n">rate</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function anomalyTable(day: DayRides): string {
  if (day.table.length === 0) return '<p class="muted">No anomalies.</p>';
  const shown =
    day.anomalies > day.table.length
      ? `<p class="muted">The ${number(day.table.length)} most severe of ${number(day.anomalies)} anomalies; all of them are in rides.parquet and rides.jsonl.</p>`
      : '';
  const rows = day.table
    .map(ride => {
      const summary =
        ride.summary_source === 'failed'
          ? `<span class="failed">no summary: ${e(ride.summary_error)}</span>`
          : `${e(ride.summary)} <span class="muted">(${e(ride.summary_source)})</span>`;
      const context = (['news', 'weather', 'traffic'] as const)
        .filter(field => ride[field])
        .map(field => `<div class="ctx"><b>${field}:</b> ${e(ride[field])}</div>`)
        .join('');
      return `<tr><td>${e(ride.ride_id)}</td><td class="n">${decimals(ride.ride_dist, 2)}</td><td class="n">${decimals(ride.ride_time * 60, 1)}</td><td class="n">${decimals(ride.ride_speed, 1)}</td><td class="n">${decimals(ride.score, 2)}</td><td>${e(ride.reasons.join(', '))}</td><td>${e(ride.likely_cause ?? '—')}</td><td>${summary}${context ? `<details><summary>context</summary>${context}</details>` : ''}</td></tr>`;
    })
    .join('');
  return `${shown}<table><thead><tr><th>ride</th><th class="n">distance (km)</th><th class="n">time (min)</th><th class="n">speed (km/h)</th><th class="n">severity</th><th>reasons</th><th>likely cause</th><th>summary</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/**
 * The day's one-page report for logistics managers: self-contained HTML (inline CSS and SVG, no
 * script, nothing fetched), so it opens from S3, a mail attachment or a laptop alike. The same
 * rides, context and trend always give the same bytes.
 */
export function renderReport(day: DayRides, context: ReportContext, trend: TrendDay[]): string {
  const colors = legendColors(day.anomalyKeys);
  const counts = new Map<string, number>();
  for (const key of day.anomalyKeys) counts.set(key, (counts.get(key) ?? 0) + 1);
  const legend = [
    `<li><span class="swatch" style="background:${NORMAL_COLOR}"></span>normal (${number(day.rides - day.anomalies)})</li>`,
    ...[...colors].map(
      ([key, color]) =>
        `<li><span class="swatch" style="background:${color}"></span>${e(key.replaceAll('+', ' + '))} (${number(counts.get(key) ?? 0)})</li>`,
    ),
  ].join('');
  const plotNote =
    day.rides > SCATTER_POINTS_MAX
      ? `More than ${number(SCATTER_POINTS_MAX)} rides: normal rides are drawn as density cells (darker means more rides, on a log scale); every anomaly is drawn as a point.`
      : 'Every ride is drawn.';
  const bySource = Object.entries(day.bySource)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([source, n]) => `${e(source)} ${number(n)}`)
    .join(' · ');
  return `${documentHead(`Ride anomalies ${context.date}`, REPORT_CSP, STYLE)}
<body>
<main>
<h1>Ride anomalies on ${e(context.date)}</h1>
<p class="sub">DBSCAN on ride distance and time (eps ${e(Number(context.dbscan.eps.toPrecision(3)))}, min samples ${e(context.dbscan.minSamples)}); summaries by ${e(context.model)} (${e(context.promptVersion)})${bySource ? `: ${bySource}` : ''}.</p>
${cards(day, context)}
<h2>Distance against time</h2>
<div class="panel">${scatterSvg(day, colors)}
<ul class="legend">${legend}</ul>
<p class="muted">${plotNote}</p></div>
<h2>Anomalies by reason</h2>
${reasonsTable(day)}
<h2>The last ${trend.length + 1} days</h2>
${trendSection(day, context, trend)}
<h2>Anomalous rides</h2>
${anomalyTable(day)}
<footer>rides.parquet and rides.jsonl beside this report hold every ride; _manifest.json lists the files with their checksums.</footer>
</main>
</body>
</html>
`;
}
