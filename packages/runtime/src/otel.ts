import { setTimeout as delay } from 'node:timers/promises';
import type { SpanAttributes, SpanRunner } from '@etml/domain';
import { type Attributes, context, propagation, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { BullMQOtel } from 'bullmq-otel';
import { codeVersion } from './version.ts';

/** Loaded only by startTracing: every OpenTelemetry import of the project is in this file. */

function attributes(from: SpanAttributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(from)) if (value !== undefined) out[key] = value;
  return out;
}

/**
 * BullMQ's own upkeep outside any job (its stalled-job checks every 30 s, lock renewals,
 * closing): alone, each would be a one-span trace that buries the days' traces. Kept when inside
 * a job's trace.
 */
const UPKEEP = /^(startStalledCheckTimer|moveStalledJobsToWait|extendLocks|getNextJob|close) /;
const rootSampler: Sampler = {
  shouldSample: (_context, _traceId, name) => ({
    decision: UPKEEP.test(name) ? SamplingDecision.NOT_RECORD : SamplingDecision.RECORD_AND_SAMPLED,
  }),
  toString: () => 'EtmlRootSampler',
};

/**
 * The global tracer provider, context manager (AsyncLocalStorage, so a job's context follows its
 * awaits) and W3C propagator (BullMQ carries a job's context in its opts as `traceparent`).
 */
export function startOtel(endpoint: string, serviceName: string) {
  const { version } = codeVersion();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: serviceName,
      [ATTR_SERVICE_VERSION]: version,
    }),
    sampler: new ParentBasedSampler({ root: rootSampler }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` }),
        // A day's summaries make a few spans each: the default 2,048 would drop a big day's.
        maxQueueSize: 16_384,
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  const tracer = trace.getTracer('etml', version);

  const runner: SpanRunner = {
    run(name, attrs, fn, root) {
      if (!root && trace.getActiveSpan() === undefined) return fn({ set() {} });
      return tracer.startActiveSpan(name, { attributes: attributes(attrs), root }, async span => {
        try {
          return await fn({ set: more => span.setAttributes(attributes(more)) });
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          throw error;
        } finally {
          span.end();
        }
      });
    },
    annotate(attrs) {
      trace.getActiveSpan()?.setAttributes(attributes(attrs));
    },
  };

  return {
    telemetry: new BullMQOtel({ tracerName: 'bullmq', version }),
    runner,
    /** Flushes the spans still buffered, then unregisters everything. */
    shutdown: async () => {
      // An unreachable collector must not hold up the service's exit (25 s in all).
      await Promise.race([provider.shutdown(), delay(5_000, undefined, { ref: false })]);
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
