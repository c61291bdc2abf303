import { PIPELINE_QUEUES, REPORTS_PATH } from '@etml/board';
import { addDays, keys, type RideDate, rideDateInZone } from '@etml/domain';
import {
  enqueueClusterDay,
  JOBS,
  jobIds,
  producerConnection,
  queueOptions,
  WAITING_FOR_RAW,
} from '@etml/queues';
import { getFreePort, test } from '@etml/testing';
import { Queue } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { AUTH, startBoard } from './browser.ts';
import { s3Env, startService, storeOf, waitFor } from './helpers.ts';
import { startPipeline, uploadSimulatedDay } from './pipeline.ts';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const authorized = { authorization: basic(AUTH.username, AUTH.password) };

/** Today as the board sees it (SCHEDULE_TZ UTC): the reports' window ends the day before. */
const today = () => rideDateInZone(new Date(), 'UTC');

/** The board with /reports/ over the test's Redis and S3; its origin. */
async function startReportsBoard(redisUrl: string, store: ReturnType<typeof storeOf>) {
  const connection = await producerConnection(redisUrl);
  const queues = PIPELINE_QUEUES.map(name => new Queue(name, queueOptions(connection)));
  onTestFinished(async () => {
    await Promise.all(queues.map(q => q.close()));
    connection.disconnect();
  });
  const board = await startBoard(queues, connection, { store, scheduleTz: 'UTC' });
  return new URL(board).origin;
}

/** The text of the index's row for `date`, tags dropped. */
function rowOf(html: string, date: string): string {
  const row = new RegExp(`<tr><td>(?:<a href="${date}/">)?${date}(?:</a>)?</td>.*?</tr>`).exec(
    html,
  );
  return (row?.[0] ?? '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
}

describe('the reports pages over real HTTP', () => {
  test('every route answers 401 without valid credentials; the report is served byte for byte and the files as attachments', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    const store = storeOf(s3);
    const pipeline = await startPipeline(redis, store);
    const date = addDays(today(), -1);
    await uploadSimulatedDay(store, date, 400);
    await pipeline.runDay(date);
    const origin = await startReportsBoard(redis.url, store);

    const paths = [
      REPORTS_PATH,
      `${REPORTS_PATH}/`,
      `${REPORTS_PATH}/${date}`,
      `${REPORTS_PATH}/${date}/`,
      `${REPORTS_PATH}/${date}/report.html`,
      `${REPORTS_PATH}/${date}/rides.parquet`,
      `${REPORTS_PATH}/${date}/rides.jsonl`,
    ];
    for (const path of paths) {
      for (const authorization of [undefined, basic(AUTH.username, 'wrong'), 'Basic !!!']) {
        const response = await fetch(`${origin}${path}`, {
          headers: authorization ? { authorization } : {},
          redirect: 'manual',
        });
        expect(response.status, `${path} with ${authorization}`).toBe(401);
      }
      const ok = await fetch(`${origin}${path}`, { headers: authorized, redirect: 'manual' });
      expect([200, 301], path).toContain(ok.status);
    }

    const report = await fetch(`${origin}${REPORTS_PATH}/${date}/report.html`, {
      headers: authorized,
    });
    expect(report.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(report.headers.get('content-security-policy')).toMatch(/^default-src 'none';/);
    expect(report.headers.get('content-disposition')).toBeNull();
    const stored = await store.getBytes(keys.output(date, 'report.html'));
    expect(Buffer.from(await report.arrayBuffer()).equals(stored)).toBe(true);

    for (const [file, type] of [
      ['rides.parquet', 'application/vnd.apache.parquet'],
      ['rides.jsonl', 'application/x-ndjson'],
    ] as const) {
      const response = await fetch(`${origin}${REPORTS_PATH}/${date}/${file}`, {
        headers: authorized,
      });
      expect(response.headers.get('content-type'), file).toBe(type);
      const [stem, extension] = file.split('.');
      expect(response.headers.get('content-disposition'), file).toBe(
        `attachment; filename="${stem}-${date}.${extension}"`,
      );
      const bytes = await store.getBytes(keys.output(date, file));
      expect(response.headers.get('content-length'), file).toBe(String(bytes.length));
      expect(Buffer.from(await response.arrayBuffer()).equals(bytes), file).toBe(true);
    }

    // The day's page frames the report and links the downloads; Bull Board links the reports.
    const day = await (
      await fetch(`${origin}${REPORTS_PATH}/${date}/`, { headers: authorized })
    ).text();
    expect(day).toContain('<iframe src="report.html"');
    expect(day).toContain('href="rides.parquet"');
    expect(day).toContain('href="rides.jsonl"');
    const queuesPage = await (
      await fetch(`${origin}/admin/queues`, { headers: authorized })
    ).text();
    expect(queuesPage).toContain(`${REPORTS_PATH}/`);
  });

  test('a malformed or future date, or a day without outputs: 404 naming nothing from S3', async ({
    redis,
    s3,
  }) => {
    const store = storeOf(s3);
    const tomorrow = addDays(today(), 1);
    // Outputs for a day to come (a clock set wrong somewhere): the date rule refuses it anyway.
    for (const file of ['report.html', 'rides.parquet', 'rides.jsonl'] as const) {
      await store.putBytes(keys.output(tomorrow, file), 'not yet', 'text/plain');
    }
    const origin = await startReportsBoard(redis.url, store);
    const paths = [
      ...['', 'report.html', 'rides.parquet', 'rides.jsonl'].map(
        file => `${REPORTS_PATH}/${tomorrow}/${file}`,
      ),
      `${REPORTS_PATH}/${tomorrow}`,
      `${REPORTS_PATH}/2025-13-01/`,
      `${REPORTS_PATH}/2025-02-30/report.html`,
      `${REPORTS_PATH}/yesterday/`,
      `${REPORTS_PATH}/20250730/rides.parquet`,
      `${REPORTS_PATH}/%3Cscript%3E/`,
      `${REPORTS_PATH}/2025-07-30/`,
      `${REPORTS_PATH}/2025-07-30/report.html`,
      `${REPORTS_PATH}/2025-07-30/_manifest.json`,
    ];
    for (const path of paths) {
      const response = await fetch(`${origin}${path}`, { headers: authorized, redirect: 'manual' });
      expect(response.status, path).toBe(404);
      const body = await response.text();
      expect(body, path).toBe('no such report\n');
      expect(body).not.toContain(s3.bucket);
    }
  });

  test('days without outputs show why: late (nothing enqueued, waiting for raw data), failed (the reason), running (the step)', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    const store = storeOf(s3);
    const pipeline = await startPipeline(redis, store);
    const now = today();
    // The complete day first: a day before it that nobody enqueued was never due.
    const [complete, failed, running, waiting, missing, before] = [5, 1, 2, 3, 4, 6].map(back =>
      addDays(now, -back),
    ) as [RideDate, RideDate, RideDate, RideDate, RideDate, RideDate];
    await uploadSimulatedDay(store, complete, 300);
    await pipeline.runDay(complete);
    await store.writeNdjson(keys.raw(failed, 'jsonl'), [{ ride_id: 'x', ride_dist: 'far' }]);
    await expect(pipeline.runDay(failed)).rejects.toThrow(/has no valid rows/);
    // No worker from here on: what is enqueued stays where it is.
    await pipeline.close();
    const connection = await producerConnection(redis.url);
    const cluster = new Queue('cluster', queueOptions(connection));
    onTestFinished(async () => {
      await cluster.close();
      connection.disconnect();
    });
    await enqueueClusterDay(cluster, running);
    const delayed = await cluster.add(
      JOBS.clusterDay.name,
      { date: waiting },
      { jobId: jobIds.clusterDay(waiting), delay: 3_600_000 },
    );
    await delayed.updateProgress({
      phase: WAITING_FOR_RAW,
      key: keys.rawPrefix(waiting),
      nextCheckAt: Date.now() + 3_600_000,
    });

    const origin = await startReportsBoard(redis.url, store);
    const response = await fetch(`${origin}${REPORTS_PATH}/`, { headers: authorized });
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none';/);
    const html = await response.text();
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain(`<a href="${complete}/">${complete}</a>`);
    expect(rowOf(html, complete)).toContain('complete');
    expect(rowOf(html, failed)).toMatch(
      new RegExp(`failed : cluster-${failed} failed: .*has no valid rows`),
    );
    expect(rowOf(html, running)).toContain('running : clustering (waiting)');
    expect(rowOf(html, waiting)).toContain('late : waiting for raw data');
    expect(rowOf(html, missing)).toContain('late : nothing enqueued');
    expect(rowOf(html, before)).toContain('before the first report');
    expect(html).not.toContain(`<title>${before}:`);
    // Newest first, 30 days, the trend drawn with a mark for each gap.
    const dates = [...html.matchAll(/<tr><td>(?:<a href="[^"]+">)?(\d{4}-\d{2}-\d{2})/g)].map(
      m => m[1],
    );
    expect(dates).toHaveLength(30);
    expect(dates[0]).toBe(failed);
    expect([...dates].sort().reverse()).toEqual(dates);
    expect(html).toMatch(/<svg [^>]*aria-label="Rides, anomalies, LLM calls and cost per day/);
    expect(html).toContain(`<title>${failed}: failed, cluster-${failed} failed: `);
  });

  test('./bin/etml board reads S3 and SCHEDULE_TZ from its env: today there is served from the bucket, the day after is 404', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    const store = storeOf(s3);
    // A zone whose today is not UTC's at this hour: each date below is judged the other way in UTC.
    const now = new Date();
    const utc = rideDateInZone(now, 'UTC');
    const east = rideDateInZone(now, 'Pacific/Kiritimati');
    const [tz, served, refused] =
      east !== utc
        ? ['Pacific/Kiritimati', east, addDays(east, 1)]
        : ['Pacific/Pago_Pago', rideDateInZone(now, 'Pacific/Pago_Pago'), utc];
    for (const date of [served, refused]) {
      await store.putBytes(keys.output(date, 'report.html'), `<p>${date}</p>`, 'text/html');
    }
    const port = await getFreePort();
    const board = startService('board', {
      ...s3Env(s3),
      REDIS_URL: redis.url,
      BOARD_PORT: String(port),
      BOARD_PASSWORD: AUTH.password,
      SCHEDULE_TZ: tz,
    });
    await waitFor('the board ready', 30_000, () => / INFO \S+ ready /.test(board.stderr()));
    const base = `http://127.0.0.1:${port}${REPORTS_PATH}`;
    const day = await fetch(`${base}/${served}/report.html`, { headers: authorized });
    expect(await day.text()).toBe(`<p>${served}</p>`);
    const later = await fetch(`${base}/${refused}/report.html`, { headers: authorized });
    expect(later.status).toBe(404);
  });
});
