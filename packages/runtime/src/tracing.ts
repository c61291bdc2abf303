import type { TracingEnv } from '@etml/config';
import { installSpanRunner } from '@etml/domain';
import type { BullMQOtel } from 'bullmq-otel';
import { type Logger, secretScrubber } from './log.ts';

let telemetry: BullMQOtel | undefined;

/** The BullMQ telemetry every Queue and Worker gets (see queueOptions); undefined: tracing off. */
export function queueTelemetry(): BullMQOtel | undefined {
  return telemetry;
}

export interface Tracing {
  /** Sends the spans still buffered, then stops tracing. */
  close: () => Promise<void>;
}

/**
 * Starts OpenTelemetry tracing for this process: spans to `${endpoint}/v1/traces` (OTLP, JSON
 * over HTTP), BullMQ's telemetry for every queue built afterwards, and the span runner behind
 * @etml/domain's withSpan. OpenTelemetry is imported here, on demand, so a process that never
 * calls this never loads it.
 */
export async function startTracing(
  config: TracingEnv,
  defaultName: string,
  /** The secrets no exported span may hold (error texts included), and where export problems go. */
  { secrets, log }: { secrets: readonly string[]; log: Logger },
): Promise<Tracing> {
  const { startOtel } = await import('./otel.ts');
  const otel = startOtel({
    endpoint: config.endpoint,
    resource: { ...config.resourceAttributes },
    serviceName: config.serviceName ?? defaultName,
    scrub: secretScrubber(secrets),
    log,
  });
  telemetry = otel.telemetry;
  installSpanRunner(otel.runner);
  return {
    close: async () => {
      installSpanRunner(undefined);
      telemetry = undefined;
      await otel.shutdown();
    },
  };
}
