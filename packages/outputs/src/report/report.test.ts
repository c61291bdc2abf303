import type { OutputRecord } from '@etml/domain';
import { describe, expect, test } from 'vitest';
import { type DayRides, DayRidesCollector, REPORT_TABLE_MAX } from './collect.ts';
import { type ReportContext, renderReport } from './render.ts';
import { niceAxis, SCATTER_POINTS_MAX } from './scatter.ts';

const context: ReportContext = {
  date: '2025-07-30',
  rejected: 3,
  clusters: 2,
  dbscan: { eps: 0.3, minSamples: 8 },
  model: 'gpt-4o-mini',
  promptVersion: 'ride-context-v1',
};

/** `rides` rides; every `every`-th one anomalous, with a reason by turns. */
function day(rides: number, every: number, edit?: (r: OutputRecord, i: number) => void): DayRides {
  const collector = new DayRidesCollector();
  const reasons = [['long_distance'], ['long_time'], ['long_distance', 'long_time'], ['low_speed']];
  for (let i = 0; i < rides; i += 1) {
    const anomaly = i % every === 0;
    const record: OutputRecord = {
      ride_id: i,
      ride_dist: 1 + ((i * 7919) % 1000) / 100,
      ride_time: 0.05 + ((i * 104729) % 1000) / 5000,
      ride_speed: 30,
      news: `news ${i}`,
      label: anomaly ? -1 : 0,
      anomaly,
      anomaly_reasons: anomaly ? (reasons[(i / every) % reasons.length] ?? []) : [],
      anomaly_score: anomaly ? 1 + ((i * 31) % 97) / 10 : 0.5,
      summary: anomaly ? `summary ${i}` : null,
      summary_source: anomaly ? 'llm' : null,
      likely_cause: anomaly ? 'weather' : null,
      summary_error: null,
    };
    edit?.(record, i);
    collector.add(record);
  }
  return collector.result();
}

const dots = (html: string, pathClass: string) =>
  [...html.matchAll(new RegExp(`<path d="([^"]*)" class="${pathClass}"`, 'g'))]
    .map(m => (m[1] ?? '').split('h0').length - 1)
    .reduce((a, b) => a + b, 0);

describe('report.html', () => {
  test('text from the data is escaped everywhere: no markup from a ride reaches the page', () => {
    const html = renderReport(
      day(50, 5, (ride, i) => {
        if (i !== 10) return;
        ride.ride_id = '"><img src=x onerror=alert(1)>';
        ride.news = '<script>alert("news")</script>';
        ride.summary = "</td></tr></table><script>alert('summary')</script>";
        ride.likely_cause = '<b>bold</b>';
      }),
      context,
      [{ date: '2025-07-29<script>', rides: 1, anomalies: 1 }],
    );
    expect(html).not.toMatch(/<script|<img|<b>bold/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;news&quot;)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain(
      '&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;alert(&#39;summary&#39;)',
    );
    // The second wall: the page may run no script and fetch nothing, should escaping ever fail.
    expect(html).toContain(
      `content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`,
    );
  });

  test(`up to ${SCATTER_POINTS_MAX} rides, every ride is a point`, () => {
    const rides = day(SCATTER_POINTS_MAX, 50);
    const html = renderReport(rides, context, []);
    expect(dots(html, 'normal')).toBe(SCATTER_POINTS_MAX - rides.anomalies);
    expect(dots(html, 'anomaly')).toBe(rides.anomalies);
    expect(html).not.toContain('density cells');
  });

  test('above it, normal rides become density cells and every anomaly is still a point', () => {
    const rides = day(60_000, 97);
    const html = renderReport(rides, context, []);
    expect(dots(html, 'normal')).toBe(0);
    expect(dots(html, 'anomaly')).toBe(rides.anomalies);
    const cells = [...html.matchAll(/<title>(\d+) rides<\/title><\/rect>/g)].map(m => Number(m[1]));
    expect(cells.length).toBeGreaterThan(100);
    expect(cells.reduce((a, b) => a + b, 0)).toBe(60_000 - rides.anomalies);
    expect(html).toContain('normal rides are drawn as density cells');
  });

  test('counts by reason, the trend with its gaps, and the table capped with a note', () => {
    const rides = day(6_000, 10);
    expect(rides.anomalies).toBe(600);
    const html = renderReport(rides, context, [
      { date: '2025-07-28', rides: null, anomalies: null },
      { date: '2025-07-29', rides: 5_500, anomalies: 480 },
    ]);
    expect(html).toContain('<td>long_distance</td><td class="n">300</td><td class="n">5.0%</td>');
    expect(html).toContain(
      '<td>2025-07-29</td><td class="n">5,500</td><td class="n">480</td><td class="n">8.7%</td>',
    );
    expect(html).toContain('<td>2025-07-28</td><td class="n">—</td>');
    expect(html).toContain('no data');
    expect(html).toContain(`The ${REPORT_TABLE_MAX} most severe of 600 anomalies`);
    expect(html.match(/<details>/g)).toHaveLength(REPORT_TABLE_MAX);
  });

  test('lists the most severe anomalies first, and keeps the most severe when the table is full', () => {
    const rides = day(6_000, 10);
    const all = Array.from({ length: 600 }, (_, k) => 1 + ((k * 10 * 31) % 97) / 10);
    const kept = rides.table.map(row => row.score);
    expect(kept).toEqual([...kept].sort((a, b) => b - a));
    expect(Math.min(...kept)).toBe(all.sort((a, b) => b - a)[REPORT_TABLE_MAX - 1]);
    const html = renderReport(rides, context, []);
    const severities = [...html.matchAll(/<td class="n">([0-9.]+)<\/td><td>(?:long|low)/g)].map(m =>
      Number(m[1]),
    );
    expect(severities.slice(0, 3)).toEqual(kept.slice(0, 3).map(s => Number(s.toFixed(2))));
  });

  test('the same day renders to the same bytes', () => {
    expect(renderReport(day(500, 9), context, [])).toBe(renderReport(day(500, 9), context, []));
  });
});

describe('niceAxis', () => {
  test.for([
    [29.7, 30, 10],
    [7.3, 8, 2],
    [0.42, 0.5, 0.1],
    [1_000, 1_000, 200],
    [0, 1, 0.2],
  ] as const)('%s → end %s, step %s', ([max, end, step]) => {
    const axis = niceAxis(max);
    expect(axis.end).toBeCloseTo(end, 9);
    expect(axis.step).toBeCloseTo(step, 9);
  });
});
