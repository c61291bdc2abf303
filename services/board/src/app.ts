import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { type DayQueues, QUEUES } from '@etml/queues';
import { ownKeys, type RedisClient } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import { basicAuth } from './auth.ts';
import { type FreshnessOptions, freshnessLines } from './freshness.ts';
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

const METRIC_FIELDS = [
  ['days_loaded', 'Days whose outputs and manifest were written'],
  ['rides', 'Rides loaded'],
  ['anomalies', 'Anomalous rides loaded'],
  ['llm_calls', 'LLM requests that produced a summary'],
  ['cache_hits', 'Summaries served from the cache'],
  ['prompt_tokens', 'LLM prompt tokens'],
  ['completion_tokens', 'LLM completion tokens'],
] as const;

/** Prometheus text: job counts per queue and state, and the pipeline's own counters. */
async function metricsText(
  queues: Queue[],
  redis: RedisClient,
  freshness: FreshnessOptions | undefined,
): Promise<string> {
  const lines = [
    '# HELP etml_queue_jobs Jobs in each queue, by state.',
    '# TYPE etml_queue_jobs gauge',
  ];
  for (const queue of queues) {
    const counts = await queue.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'completed',
      'failed',
      'waiting-children',
      'prioritized',
    );
    for (const [state, n] of Object.entries(counts)) {
      lines.push(`etml_queue_jobs{queue="${queue.name}",state="${state}"} ${n}`);
    }
  }
  const totals = await redis.hgetall(ownKeys(redis).metrics);
  for (const [field, help] of METRIC_FIELDS) {
    lines.push(`# HELP etml_${field}_total ${help}.`, `# TYPE etml_${field}_total counter`);
    lines.push(`etml_${field}_total ${Number(totals[field] ?? 0)}`);
  }
  if (freshness) lines.push(...(await freshnessLines(freshness)));
  return `${lines.join('\n')}\n`;
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
  app.get('/metrics', guard, async (_req, res, next) => {
    try {
      res
        .type('text/plain; version=0.0.4')
        .send(await metricsText(options.queues, options.redis, options.freshness));
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
