import { pipeline } from 'node:stream/promises';
import {
  addDays,
  isRideDate,
  keys,
  NotFoundError,
  type OutputFile,
  type RideDate,
  rideDateInZone,
} from '@etml/domain';
import { REPORT_CSP, readManifest } from '@etml/outputs';
import type { DayQueues } from '@etml/queues';
import type { ObjectStore } from '@etml/storage';
import { type RequestHandler, Router } from 'express';
import { dayPage, PAGE_CSP, reportsIndexPage, type WindowDay } from './pages.ts';
import { dayGap, NOTHING_ENQUEUED } from './status.ts';

export const REPORTS_PATH = '/reports';

/** Days in the /reports/ trend. */
export const REPORT_WINDOW_DAYS = 30;

export interface ReportsOptions {
  store: ObjectStore;
  queues: DayQueues;
  /** SCHEDULE_TZ: the zone of "today", after which no day has a report. */
  scheduleTz: string;
  /** Where Bull Board is, for the pages' nav. */
  boardPath: string;
}

/** The files a day's page serves, streamed from S3 as they are stored. */
const FILES: Record<string, { file: OutputFile; type: string; download: boolean }> = {
  'report.html': { file: 'report.html', type: 'text/html; charset=utf-8', download: false },
  'rides.parquet': {
    file: 'rides.parquet',
    type: 'application/vnd.apache.parquet',
    download: true,
  },
  'rides.jsonl': { file: 'rides.jsonl', type: 'application/x-ndjson', download: true },
};

const MANIFEST_KEY = /^output\/date=(\d{4}-\d{2}-\d{2})\/_manifest\.json$/;

/** A manifest's count as a number to print: it is read back from S3. */
const count = (value: unknown) => (Number.isFinite(Number(value)) ? Number(value) : 0);

async function daysWithOutputs(store: ObjectStore): Promise<RideDate[]> {
  const days: RideDate[] = [];
  for await (const object of store.list('output/date=')) {
    const date = MANIFEST_KEY.exec(object.key)?.[1];
    if (isRideDate(date)) days.push(date);
  }
  return days.sort().reverse();
}

async function windowDay(options: ReportsOptions, date: RideDate, done: boolean) {
  if (!done) return { date, gap: await dayGap(options.queues, date) };
  try {
    const manifest = await readManifest(options.store, date);
    if (!manifest) return { date, gap: await dayGap(options.queues, date) };
    const cost = manifest.llm.estimated_cost_usd;
    return {
      date,
      counts: {
        rides: count(manifest.counts.valid),
        anomalies: count(manifest.counts.anomalies),
        calls: count(manifest.llm.calls),
        costUsd: cost === null ? null : count(cost),
      },
    };
  } catch {
    return { date, gap: { state: 'failed', detail: 'its manifest cannot be read' } } as const;
  }
}

/** 404 for a date that is malformed or after today: it names nothing from S3. */
const notFound: RequestHandler = (_req, res) => {
  res.status(404).type('text/plain').send('no such report\n');
};

/**
 * /reports/: the days with outputs and the last 30 days' trend; /reports/D/: the day's report.html
 * byte for byte, and its Parquet and JSONL, streamed from S3. Mounted behind the board's auth.
 */
export function reportsRouter(options: ReportsOptions): Router {
  const router = Router({ strict: true });
  const today = () => rideDateInZone(new Date(), options.scheduleTz);
  const pastDate = (value: unknown): value is RideDate => isRideDate(value) && value <= today();

  router.use((_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });
  router.get('/', async (req, res, next) => {
    // Relative links need the slash: /reports must become /reports/.
    if (!req.originalUrl.split('?')[0]?.endsWith('/')) {
      res.redirect(301, `${req.baseUrl}/`);
      return;
    }
    try {
      const done = await daysWithOutputs(options.store);
      const now = today();
      // The window ends yesterday, the newest day that is due, or today once it has outputs.
      const end = done[0] === now ? now : addDays(now, -1);
      const dates = Array.from({ length: REPORT_WINDOW_DAYS }, (_, i) =>
        addDays(end, i + 1 - REPORT_WINDOW_DAYS),
      );
      const doneSet = new Set(done);
      const first = done.at(-1);
      const window: WindowDay[] = [];
      for (const date of dates) {
        const day = await windowDay(options, date, doneSet.has(date));
        // Before the first day with outputs, a day nobody enqueued is not late: it was never due.
        const neverDue =
          (first === undefined || date < first) && day.gap?.detail === NOTHING_ENQUEUED;
        window.push(neverDue ? { date } : day);
      }
      const earlier = done.filter(date => date < (dates[0] as RideDate));
      res
        .set('Content-Security-Policy', PAGE_CSP)
        .type('text/html; charset=utf-8')
        .send(reportsIndexPage(window, earlier, options.boardPath));
    } catch (error) {
      next(error);
    }
  });
  router.get('/:date', (req, res, next) => {
    if (!pastDate(req.params.date)) return next();
    res.redirect(301, `${req.baseUrl}/${req.params.date}/`);
  });
  router.get('/:date/', async (req, res, next) => {
    const { date } = req.params;
    if (!pastDate(date)) return next();
    try {
      if (!(await options.store.exists(keys.output(date, 'report.html')))) return next();
      res
        .set('Content-Security-Policy', PAGE_CSP)
        .type('text/html; charset=utf-8')
        .send(dayPage(date, options.boardPath));
    } catch (error) {
      next(error);
    }
  });
  router.get('/:date/:file', async (req, res, next) => {
    const { date } = req.params;
    const served = FILES[req.params.file];
    if (!pastDate(date) || !served) return next();
    let handle: Awaited<ReturnType<ObjectStore['openRead']>>;
    try {
      handle = await options.store.openRead(keys.output(date, served.file));
    } catch (error) {
      if (error instanceof NotFoundError) return next();
      return next(error);
    }
    if (served.download) {
      const [stem, extension] = served.file.split('.');
      res.attachment(`${stem}-${date}.${extension}`);
    } else {
      // The report's own policy, as its meta tag says it, and framed by the day's page only.
      res.set('Content-Security-Policy', `${REPORT_CSP}; frame-ancestors 'self'`);
    }
    // After attachment(), which sets a type from the file name's extension.
    res.status(200).type(served.type);
    if (handle.size !== undefined) res.set('Content-Length', String(handle.size));
    // A client that goes away mid-file ends the stream; there is nothing left to answer.
    await pipeline(handle.body, res).catch(() => handle.body.destroy());
  });
  router.use(notFound);
  return router;
}
