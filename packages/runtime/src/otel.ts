import { setTimeout as delay } from 'node:timers/promises';
import type { SpanAttributes, SpanRunner } from '@etml/domain';
import {
  type Attributes,
  type AttributeValue,
  context,
  DiagLogLevel,
  diag,
  propagation,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { BullMQOtel } from 'bullmq-otel';
import type { Logger } from './log.ts';
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

type Scrub = (text: string) => string;

function scrubValue(value: AttributeValue | undefined, scrub: Scrub) {
  if (typeof value === 'string') return scrub(value);
  if (Array.isArray(value)) return value.map(v => (typeof v === 'string' ? scrub(v) : v));
  return value;
}

function scrubAttributes(attributes: Attributes, scrub: Scrub): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) out[key] = scrubValue(value, scrub);
  return out;
}

/**
 * The span as it is but for its texts: an error's message (its status, its exception event, the
 * `job failed` event BullMQ adds) quotes what a server answered, and a server may echo a key.
 */
function scrubbed(span: ReadableSpan, scrub: Scrub): ReadableSpan {
  return Object.create(span, {
    attributes: { value: scrubAttributes(span.attributes, scrub) },
    events: {
      value: span.events.map(event =>
        event.attributes
          ? { ...event, attributes: scrubAttributes(event.attributes, scrub) }
          : event,
      ),
    },
    status: {
      value: span.status.message
        ? { ...span.status, message: scrub(span.status.message) }
        : span.status,
    },
  });
}

function scrubbing(exporter: SpanExporter, scrub: Scrub | undefined): SpanExporter {
  if (!scrub) return exporter;
  return {
    export: (spans, done) =>
      exporter.export(
        spans.map(span => scrubbed(span, scrub)),
        done,
      ),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

const DIAG_EVERY_MS = 60_000;

/**
 * OpenTelemetry's warnings and errors as the service's warnings, at most one a minute with a
 * count of those left out: a collector that is down would otherwise say so on every batch.
 */
function diagnostics(log: Logger) {
  let last = 0;
  let skipped = 0;
  const warn = (message: string) => {
    const now = Date.now();
    if (now - last < DIAG_EVERY_MS) {
      skipped++;
      return;
    }
    log.warn('tracing: spans not exported', {
      reason: message,
      ...(skipped ? { sinceLast: skipped } : {}),
    });
    last = now;
    skipped = 0;
  };
  const quiet = () => {};
  // OpenTelemetry's error handler hands over an error as JSON, stack and all: its message is enough.
  const reasonOf = (message: string) => {
    try {
      return String((JSON.parse(message) as { message?: unknown }).message ?? message);
    } catch {
      return message;
    }
  };
  const text = (message: string, args: unknown[]) =>
    [reasonOf(message), ...args.map(a => (a instanceof Error ? a.message : String(a)))].join(' ');
  return {
    error: (message: string, ...args: unknown[]) => warn(text(message, args)),
    warn: (message: string, ...args: unknown[]) => warn(text(message, args)),
    info: quiet,
    debug: quiet,
    verbose: quiet,
  };
}

export interface OtelOptions {
  endpoint: string;
  serviceName: string;
  /** OTEL_RESOURCE_ATTRIBUTES: deployment.environment.name, host.name… */
  resource: Record<string, string>;
  /** Takes the secrets out of every exported text; undefined: none to take. */
  scrub: Scrub | undefined;
  log: Logger;
}

/**
 * The global tracer provider, context manager (AsyncLocalStorage, so a job's context follows its
 * awaits) and W3C propagator (BullMQ carries a job's context in its opts as `traceparent`).
 */
export function startOtel({ endpoint, serviceName, resource, scrub, log }: OtelOptions) {
  const { version } = codeVersion();
  diag.setLogger(diagnostics(log), DiagLogLevel.WARN);
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      ...resource,
      [ATTR_SERVICE_NAME]: serviceName,
      [ATTR_SERVICE_VERSION]: version,
    }),
    sampler: new ParentBasedSampler({ root: rootSampler }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: scrubbing(exporter, scrub),
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
      diag.disable();
    },
  };
}
