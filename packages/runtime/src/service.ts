import type { EnvSource, TracingEnv } from '@etml/config';
import type { ObjectStore } from '@etml/storage';
import { closeOnce } from './close-once.ts';
import { type Connected, connectRedis, connectStore } from './connect.ts';
import type { Infra } from './infra.ts';
import { createLogger, type LineWriter, type Logger, type LogSettings } from './log.ts';
import { startMetricsServer } from './metrics-server.ts';
import { waitForRedis } from './redis-ready.ts';
import { onShutdown } from './shutdown.ts';
import { startTracing } from './tracing.ts';

export interface ServiceContext<E> {
  env: E;
  log: Logger;
  /** Reachable: runService has waited for it. */
  redis: Connected<string>;
}

/** What a service's start gives back. */
export interface StartedService {
  /** The fields of the `ready` line, in the order they are logged. */
  ready: Record<string, unknown>;
  /** Stops the service; runService calls it at most once. */
  close: () => Promise<void>;
}

interface ServiceBase<E> {
  /** The service's name in every log line. */
  name: string;
  /** Reads and checks the configuration; the first thing done, before any connection. */
  loadEnv: (source: EnvSource) => E;
}

/** A service that needs only Redis, or one that also needs S3 (`needsStore: true`). */
export type ServiceDefinition<E> =
  | (ServiceBase<E> & {
      needsStore?: false;
      start: (context: ServiceContext<E>) => Promise<StartedService>;
    })
  | (ServiceBase<E> & {
      needsStore: true;
      start: (
        context: ServiceContext<E> & { store: Connected<ObjectStore> },
      ) => Promise<StartedService>;
    });

export interface RunningService {
  /** Closes the service once, however often and however concurrently it is called. */
  close: () => Promise<void>;
}

/**
 * A service's start-up, the same for each: configuration, Redis (waited for, so a service
 * started before Redis logs and retries instead of crashing into a restart loop), S3 when it
 * needs it, then the service itself, a `ready` line, and SIGTERM and SIGINT wired to its close.
 */
export async function runService<
  E extends {
    infra: Infra;
    metricsPort?: number | undefined;
    log?: LogSettings;
    tracing?: TracingEnv | undefined;
  },
>(
  service: ServiceDefinition<E>,
  source: EnvSource = process.env,
  /** Where log lines go instead of stderr (tests). */
  write?: LineWriter,
): Promise<RunningService> {
  // The configuration first: LOG_FORMAT and LOG_LEVEL are part of it.
  const env = service.loadEnv(source);
  const log = createLogger(service.name, write, env.log);
  // Before any connection: a taken METRICS_PORT is refused at once, not after Redis is up.
  const metrics =
    env.metricsPort === undefined ? undefined : await startMetricsServer(env.metricsPort);
  // Before any queue is built: each takes its telemetry from queueOptions when it is built.
  const tracing =
    env.tracing &&
    (await startTracing(env.tracing, service.name, { secrets: env.log?.secrets ?? [], log }));
  let started: StartedService;
  try {
    const redis = await connectRedis(env.infra);
    await waitForRedis(redis.value, log);
    const context = { env, log, redis };
    started = service.needsStore
      ? await service.start({ ...context, store: await connectStore(env.infra) })
      : await service.start(context);
  } catch (error) {
    // An open server would keep the failed process alive.
    await metrics?.close();
    await tracing?.close();
    throw error;
  }
  // Only services that read METRICS_PORT say where their metrics are (the board has its own).
  const metricsField = 'metricsPort' in env ? { metrics: env.metricsPort ?? 'off' } : {};
  const tracingField =
    'tracing' in env ? { tracing: env.tracing ? new URL(env.tracing.endpoint).origin : 'off' } : {};
  log.info('ready', { ...started.ready, ...metricsField, ...tracingField });
  const close = closeOnce(async () => {
    await started.close();
    await metrics?.close();
    // Last: the spans of the jobs that just finished are flushed to the collector.
    await tracing?.close();
  });
  onShutdown(close, log);
  return { close };
}
