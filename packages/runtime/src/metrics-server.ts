import { createServer, type Server } from 'node:http';
import { ConfigError } from '@etml/domain';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** One registry per process: the job histogram and prom-client's process metrics. */
const registry = new Registry();

/** The process's registry: a service registers its own metrics here, served on METRICS_PORT. */
export const metricsRegistry: Registry = registry;

const jobDuration = new Histogram({
  name: 'etml_job_duration_seconds',
  help: "A job attempt's run time, by queue and outcome (completed or failed)",
  labelNames: ['queue', 'outcome'] as const,
  // Summaries take seconds, a day's clustering minutes.
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
  registers: [registry],
});

/**
 * Records one job attempt, from BullMQ's processedOn to its finishedOn; an attempt that will be
 * retried has no finishedOn (BullMQ sets it only on the last), so it ends now, at its event.
 */
export function observeJob(
  queue: string,
  outcome: 'completed' | 'failed',
  job: { processedOn?: number | undefined; finishedOn?: number | undefined } | undefined,
): void {
  if (!job?.processedOn) return;
  const finishedOn = job.finishedOn || Date.now();
  jobDuration.observe({ queue, outcome }, Math.max(0, finishedOn - job.processedOn) / 1_000);
}

let defaultsCollected = false;

/**
 * Serves the registry at /metrics on `port` (all interfaces, for a Prometheus scraper); a taken
 * port is refused as configuration, naming METRICS_PORT, so the service exits 2.
 */
export async function startMetricsServer(port: number): Promise<{ close: () => Promise<void> }> {
  if (!defaultsCollected) {
    collectDefaultMetrics({ register: registry });
    defaultsCollected = true;
  }
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      text => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: Error) => response.writeHead(500).end(error.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new ConfigError([
              `METRICS_PORT ${port} is already in use; set METRICS_PORT to a free port`,
            ])
          : error,
      ),
    );
    server.listen(port, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
