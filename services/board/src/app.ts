import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { type DayQueues, QUEUES } from '@etml/queues';
import type { RedisClient } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import { basicAuth } from './auth.ts';
import type { FreshnessOptions } from './freshness.ts';
import { boardMetrics } from './metrics.ts';
import { REPORTS_PATH, reportsRouter } from './reports/routes.ts';

export const BOARD_PATH = '/admin/queues';

export interface BoardAppOptions {
  /** Every pipeline queue, by name. */
  queues: Queue[];
  redis: RedisClient;
  /** null: no authentication (BOARD_AUTH=off). */
  auth: { username: string; password: string } | null;
  /** S3 and the deadline, for etml_last_complete_day and etml_day_late. */
  freshness?: FreshnessOptions | undefined;
  /** The outputs' store and SCHEDULE_TZ, for /reports/; without them it is not served. */
  reports?: { store: ObjectStore; scheduleTz: string };
}

/**
 * The board: Bull Board at /admin/queues over every pipeline queue, /metrics for Prometheus,
 * both behind basic auth, and /healthz without it (it says nothing secret).
 */
export function createBoardApp(options: BoardAppOptions): Express {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({
    queues: options.queues.map(queue => new BullMQAdapter(queue)),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'ride-anomaly ETML',
        ...(options.reports ? { miscLinks: [{ text: 'Reports', url: `${REPORTS_PATH}/` }] } : {}),
      },
    },
  });
  const app = express();
  app.disable('x-powered-by');
  const guard: express.RequestHandler = options.auth
    ? basicAuth(options.auth)
    : (_req, _res, next) => next();

  app.get('/healthz', async (_req, res) => {
    try {
      await options.redis.ping();
      const workers: Record<string, number> = {};
      for (const queue of options.queues) workers[queue.name] = await queue.getWorkersCount();
      res.json({ status: 'ok', redis: 'ok', workers });
    } catch (error) {
      res.status(503).json({ status: 'down', redis: (error as Error).message });
    }
  });
  const metrics = boardMetrics(options);
  app.get('/metrics', guard, async (_req, res, next) => {
    try {
      res.type(metrics.contentType).send(await metrics.metrics());
    } catch (error) {
      next(error);
    }
  });
  app.use(BOARD_PATH, guard, serverAdapter.getRouter());
  if (options.reports) {
    const byName = (name: string) => options.queues.find(q => q.name === name) as Queue;
    const queues: DayQueues = {
      cluster: byName(QUEUES.cluster),
      load: byName(QUEUES.load),
      summarize: byName(QUEUES.summarize),
    };
    app.use(
      REPORTS_PATH,
      guard,
      reportsRouter({ ...options.reports, queues, boardPath: BOARD_PATH }),
    );
  }
  app.get('/', (_req, res) => res.redirect(BOARD_PATH));
  return app;
}

export const PIPELINE_QUEUES = Object.values(QUEUES);
