import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { addDays, keys, rideDateInZone } from '@etml/domain';
import type { DayManifest } from '@etml/outputs';
import { jobIds, producerConnection, QUEUES, queueOptions } from '@etml/queues';
import { type S3Target, startFakeLlm, test } from '@etml/testing';
import { Job, Queue } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { llmServicesEnv, runEtml, startService, storeOf, waitFor } from './helpers.ts';
import { startFakeLlmFailingOneRide, uploadDistinctDay } from './pipeline.ts';

interface Span {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
type OtlpAttributes = { key: string; value: OtlpValue }[] | undefined;

function attributesOf(list: OtlpAttributes): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    out[key] = value.stringValue ?? value.boolValue ?? value.doubleValue ?? value.intValue;
  }
  return out;
}

/**
 * An OTLP/HTTP trace receiver, as a collector or Jaeger's port 4318 is: POST /v1/traces with
 * JSON bodies (the exporter's encoding). Keeps every span, flattened.
 */
async function otlpReceiver() {
  const spans: Span[] = [];
  const requests: { path: string | undefined; contentType: string | undefined }[] = [];
  /** Every body as sent: the span texts the flattened spans leave out (events, status). */
  const bodies: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', chunk => chunks.push(chunk as Buffer));
    request.on('end', () => {
      requests.push({ path: request.url, contentType: request.headers['content-type'] });
      let body = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      bodies.push(body.toString('utf8'));
      const payload = JSON.parse(body.toString('utf8')) as {
        resourceSpans: {
          resource: { attributes: OtlpAttributes };
          scopeSpans: {
            spans: {
              traceId: string;
              spanId: string;
              parentSpanId?: string;
              name: string;
              attributes: OtlpAttributes;
            }[];
          }[];
        }[];
      };
      for (const resource of payload.resourceSpans) {
        const service = String(attributesOf(resource.resource.attributes)['service.name']);
        for (const scope of resource.scopeSpans) {
          for (const span of scope.spans) {
            spans.push({
              service,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId || undefined,
              name: span.name,
              attributes: attributesOf(span.attributes),
            });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>(resolve => server.close(() => resolve())));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}`, spans, requests, bodies };
}

/**
 * Loaded before the service's own code: a module resolution hook that says on stderr which
 * OpenTelemetry module (or bullmq-otel) is imported, and from where, so a test sees what a
 * process loaded. Imports among OpenTelemetry's own files are not repeated.
 */
const PROBE = `import{registerHooks}from"node:module";const otel=/\\/node_modules\\/(@opentelemetry|bullmq-otel)\\//;registerHooks({resolve(s,c,n){const r=n(s,c);if(otel.test(r.url)&&!otel.test(c.parentURL??""))process.stderr.write("probe: "+s+" from "+c.parentURL+"\\n");return r}});`;
const NODE_OPTIONS = `--import=data:text/javascript,${encodeURIComponent(PROBE)}`;

/** Looks at received spans: by id, by job, by the job span they were made in. */
function spansOf(spans: Span[]) {
  const byId = new Map(spans.map(span => [span.spanId, span]));
  const parentOf = (span: Span) =>
    span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId);
  return {
    /** BullMQ's span of each attempt at `jobId` (`process <queue>`). */
    jobSpans: (name: string, jobId: string) =>
      spans.filter(s => s.name === name && s.attributes['bullmq.job.id'] === jobId),
    /** The job span a span was made in: its nearest `process …` ancestor. */
    jobOf(span: Span): Span | undefined {
      let parent = parentOf(span);
      while (parent && !parent.name.startsWith('process ')) parent = parentOf(parent);
      return parent;
    },
    /** A trace's spans, checking that each one's parent was received, in the same trace. */
    trace(traceId: string | undefined): Span[] {
      const inTrace = spans.filter(s => s.traceId === traceId);
      for (const span of inTrace) {
        if (span.parentSpanId !== undefined) expect(parentOf(span)?.traceId).toBe(traceId);
      }
      return inTrace;
    },
  };
}

/** A receiver, a fake LLM, and a day of distinct prompts `daysAgo` days before today (UTC). */
async function dayToTrace(s3: S3Target, daysAgo: number, rides: number) {
  const receiver = await otlpReceiver();
  const fake = await startFakeLlm();
  onTestFinished(() => fake.close());
  const store = storeOf(s3);
  const date = addDays(rideDateInZone(new Date(), 'UTC'), -daysAgo);
  await uploadDistinctDay(store, date, rides);
  return { receiver, fake, store, date };
}

describe('traces (OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  test('a day is one trace: cluster-D, load-D and each summary, with LLM and S3 spans', {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    // The day the scheduler catches up at start. Its schedule ticks every second, for the day
    // whose run was last due: that day too (then left alone, as it is there already).
    const { receiver, fake, store, date } = await dayToTrace(s3, 1, 400);
    const env = {
      ...llmServicesEnv(s3, redis.url, fake.url),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=ci%2C%20east',
      SCHEDULE_CRON: '* * * * * *',
      SCHEDULE_TZ: 'UTC',
      CATCHUP_DAYS: '1',
      NODE_OPTIONS,
    };
    const services = ['cluster-worker', 'summarize-worker', 'scheduler'].map(name =>
      startService(name, env),
    );
    await waitFor('the manifest', 60_000, () => store.exists(keys.manifest(date)));
    const manifest = await store.getJson<DayManifest>(keys.manifest(date));
    const anomalies = manifest.counts.anomalies;
    expect(anomalies).toBeGreaterThan(5);
    expect(manifest.counts.summaries_by_source.llm).toBe(anomalies);
    // SIGTERM right away: the day's last spans reach the receiver only through the flush on close.
    for (const service of services) expect(await service.stop()).toBe(0);
    for (const service of services) {
      expect(service.stderr()).toContain(`tracing=${receiver.url}`);
      expect(service.stderr()).toMatch(
        /probe: bullmq-otel from \S+\/packages\/runtime\/src\/otel\.ts/,
      );
      expect(service.stderr()).toMatch(
        /probe: @opentelemetry\/sdk-trace from \S+\/packages\/runtime\/src\/otel\.ts/,
      );
    }
    expect(receiver.requests.every(r => r.contentType === 'application/json')).toBe(true);

    const { spans } = receiver;
    const { jobSpans, jobOf, trace } = spansOf(spans);

    const cluster = jobSpans('process cluster', jobIds.clusterDay(date));
    expect(cluster).toHaveLength(1);
    const traceId = cluster[0]?.traceId;
    expect(cluster[0]?.service).toBe('cluster-worker');
    expect(cluster[0]?.attributes['etml.date']).toBe(date);
    const inTrace = trace(traceId);

    // One root: the scheduler's enqueue of the day.
    const roots = inTrace.filter(s => s.parentSpanId === undefined);
    expect(roots.map(s => [s.service, s.name, s.attributes['etml.date']])).toEqual([
      ['scheduler', 'enqueue day', date],
    ]);
    // The other traces: adding each tick (the schedule does, at start and as each tick is taken),
    // and each tick's run, its own trace (not all in the first one's). BullMQ's upkeep outside
    // jobs (stalled checks, closing) makes none.
    const otherRoots = spans.filter(s => s.parentSpanId === undefined && s.traceId !== traceId);
    expect(otherRoots.filter(s => s.name === 'process scheduler').length).toBeGreaterThan(0);
    for (const root of otherRoots) {
      expect(root.name).toMatch(/^(add scheduler\.tick|process scheduler)$/);
    }
    expect(new Set(otherRoots.map(s => s.traceId)).size).toBe(otherRoots.length);

    // load-D runs twice (fan-out, then fan-in), both in the day's trace.
    const load = jobSpans('process load', jobIds.loadDay(date));
    expect(load.length).toBeGreaterThanOrEqual(2);
    expect(new Set(load.map(s => s.traceId))).toEqual(new Set([traceId]));

    // Each anomalous ride's summary, once, in the day's trace, with its ride.
    const summaries = spans.filter(s => s.name === 'process summarize');
    expect(summaries).toHaveLength(anomalies);
    expect(new Set(summaries.map(s => s.traceId))).toEqual(new Set([traceId]));
    expect(new Set(summaries.map(s => s.attributes['bullmq.job.id'])).size).toBe(anomalies);
    for (const span of summaries) {
      expect(span.attributes['etml.date']).toBe(date);
      expect(span.attributes['bullmq.job.id']).toBe(
        jobIds.summarizeRide(date, span.attributes['etml.ride'] as string | number),
      );
    }

    // One LLM call per summary (every prompt is distinct), each inside its summary's job span.
    const llmSpans = spans.filter(s => s.name === 'LLM chat');
    expect(llmSpans).toHaveLength(fake.requests.length);
    expect(llmSpans).toHaveLength(anomalies);
    for (const span of llmSpans) {
      expect(span.traceId).toBe(traceId);
      expect(span.service).toBe('summarize-worker');
      expect(jobOf(span)?.name).toBe('process summarize');
      expect(span.attributes).toMatchObject({
        'gen_ai.request.model': 'gpt-4o-mini',
        'etml.llm.outcome': 'ok',
      });
    }

    // No secret in any attribute, event or status: the API key, the S3 secret key.
    const sent = receiver.bodies.join('\n');
    expect(sent).not.toContain('sk-test');
    expect(sent).not.toContain(s3.credentials.secretAccessKey);
    // OTEL_RESOURCE_ATTRIBUTES on every batch, decoded.
    const environment = '{"key":"deployment.environment.name","value":{"stringValue":"ci, east"}}';
    expect(receiver.bodies.every(body => body.includes(environment))).toBe(true);

    // S3: cluster-D reads the raw day, load-D writes the manifest; the summaries use the cache.
    const s3Span = (name: string, key: string) =>
      inTrace.find(s => s.name === name && s.attributes['aws.s3.key'] === key);
    const rawRead = s3Span('S3 GetObject', keys.raw(date, 'jsonl'));
    expect(rawRead?.attributes['aws.s3.bucket']).toBe(s3.bucket);
    expect(rawRead && jobOf(rawRead)?.name).toBe('process cluster');
    const manifestWrite = s3Span('S3 PutObject', keys.manifest(date));
    expect(manifestWrite && jobOf(manifestWrite)?.name).toBe('process load');
    const summaryS3 = inTrace.filter(
      s => s.name.startsWith('S3 ') && jobOf(s)?.name === 'process summarize',
    );
    expect(summaryS3.some(s => s.name === 'S3 PutObject')).toBe(true);
    expect(summaryS3.some(s => s.name === 'S3 GetObject')).toBe(true);
  });

  test("a retried summary joins its day's trace; a forced rerun is a whole trace of its own", {
    timeout: 120_000,
  }, async ({ redis, s3 }) => {
    const receiver = await otlpReceiver();
    // Its 500s quote the API key, which the failure reasons then carry into spans.
    const { fake, victim } = await startFakeLlmFailingOneRide({ echoKeyInErrors: true });
    const store = storeOf(s3);
    const date = addDays(rideDateInZone(new Date(), 'UTC'), -3);
    await uploadDistinctDay(store, date, 400);
    const env = {
      ...llmServicesEnv(s3, redis.url, fake.url),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      LLM_ATTEMPTS: '1',
    };
    const services = ['cluster-worker', 'summarize-worker'].map(name => startService(name, env));
    // The command line traces too: each `etml run` starts its day's trace (`enqueue day`).
    const first = await runEtml(['run', '--date', date, '--max-failed-share', '1'], env);
    expect(first.code, first.stderr).toBe(0);
    const failedRide = victim();
    expect(failedRide).toBeDefined();
    const failedJob = jobIds.summarizeRide(date, failedRide as string);
    expect(
      (await store.getJson<DayManifest>(keys.manifest(date))).counts.summaries_by_source.failed,
    ).toBe(1);

    // Retried as the board's Retry does, once the provider is back; its refresh reloads the day.
    fake.configure({});
    const connection = await producerConnection(redis.url);
    onTestFinished(() => connection.disconnect());
    const summarize = new Queue(QUEUES.summarize, queueOptions(connection));
    onTestFinished(() => summarize.close());
    await (await Job.fromId(summarize, failedJob))?.retry('failed');
    await waitFor('the refreshed manifest', 60_000, async () => {
      // Absent while the refresh rewrites the day: the manifest is written last.
      const manifest = await store.getJsonIfExists<DayManifest>(keys.manifest(date));
      return manifest?.counts.summaries_by_source.failed === 0;
    });
    const rerun = await runEtml(['run', '--date', date, '--force'], env);
    expect(rerun.code, rerun.stderr).toBe(0);
    for (const service of services) expect(await service.stop()).toBe(0);

    // The failed call's reason reached the spans (its status, BullMQ's `job failed` event), with
    // the key the provider quoted in it taken out.
    const sent = receiver.bodies.join('\n');
    expect(sent).toContain(
      'The server had an error while processing your request (Bearer [redacted])',
    );
    expect(sent).not.toContain('sk-test');
    const { spans } = receiver;
    const { jobSpans, trace } = spansOf(spans);
    const anomalies = (await store.getJson<DayManifest>(keys.manifest(date))).counts.anomalies;
    const clusters = jobSpans('process cluster', jobIds.clusterDay(date));
    expect(clusters).toHaveLength(2);
    expect(new Set(clusters.map(s => s.traceId)).size).toBe(2);
    const rootOf = (span: Span) =>
      spans.filter(s => s.traceId === span.traceId && s.parentSpanId === undefined);
    for (const cluster of clusters) {
      expect(
        rootOf(cluster).map(root => [root.service, root.name, root.attributes['etml.date']]),
      ).toEqual([['etml', 'enqueue day', date]]);
    }
    const failedCall = spans.find(
      s => s.name === 'LLM chat' && s.attributes['etml.llm.outcome'] !== 'ok',
    );
    expect(failedCall?.attributes['etml.llm.outcome']).toBe('transient');
    const firstTrace = trace(failedCall?.traceId);
    const rerunTrace = trace(clusters.find(s => s.traceId !== failedCall?.traceId)?.traceId);
    expect(rerunTrace.length).toBeGreaterThan(0);

    // The first run: the failed attempt, its retry, the refresh and load-D's third run.
    const ofJob = (trace: Span[], name: string, jobId: string) =>
      trace.filter(s => s.name === name && s.attributes['bullmq.job.id'] === jobId);
    expect(ofJob(firstTrace, 'process summarize', failedJob)).toHaveLength(2);
    expect(jobSpans('process summarize', failedJob)).toHaveLength(3);
    expect(
      firstTrace.filter(s => s.name === 'LLM chat' && s.attributes['etml.llm.outcome'] === 'ok'),
    ).toHaveLength(anomalies);
    expect(
      firstTrace.some(
        s =>
          s.name === 'process load' && String(s.attributes['bullmq.job.id']).startsWith('refresh-'),
      ),
    ).toBe(true);
    expect(ofJob(firstTrace, 'process load', jobIds.loadDay(date)).length).toBeGreaterThanOrEqual(
      3,
    );

    // The rerun: every step again, summaries from the cache (no LLM call).
    expect(ofJob(rerunTrace, 'process load', jobIds.loadDay(date)).length).toBeGreaterThanOrEqual(
      2,
    );
    const rerunSummaries = rerunTrace.filter(s => s.name === 'process summarize');
    expect(new Set(rerunSummaries.map(s => s.attributes['bullmq.job.id'])).size).toBe(anomalies);
    expect(rerunTrace.filter(s => s.name === 'LLM chat')).toEqual([]);
    expect(
      rerunTrace.some(
        s => s.name === 'S3 PutObject' && s.attributes['aws.s3.key'] === keys.manifest(date),
      ),
    ).toBe(true);
  });

  test('without it, OpenTelemetry is not loaded and nothing is sent', async ({ redis, s3 }) => {
    const { receiver, fake, date } = await dayToTrace(s3, 2, 200);
    const env = {
      // The exporter's own variable: were the exporter loaded regardless, spans would go here.
      ...llmServicesEnv(s3, redis.url, fake.url),
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
      NODE_OPTIONS,
    };
    const services = ['cluster-worker', 'summarize-worker'].map(name => startService(name, env));
    const run = await runEtml(['run', '--date', date], env);
    expect(run.code, run.stderr).toBe(0);
    expect(fake.requests.length).toBeGreaterThan(0);
    for (const service of services) {
      expect(await service.stop()).toBe(0);
      expect(service.stderr()).toContain('tracing=off');
      // prom-client (the metrics) requires the OpenTelemetry API, a no-op without an SDK; nothing
      // else of OpenTelemetry, and no bullmq-otel.
      const probed = service.stderr().match(/^probe: .*$/gm) ?? [];
      expect(probed.length).toBeGreaterThan(0);
      for (const line of probed) {
        expect(line).toMatch(/^probe: @opentelemetry\/api from \S+\/prom-client\//);
      }
    }
    expect(run.stderr.match(/^probe: (?!@opentelemetry\/api from \S+\/prom-client\/).*$/gm)).toBe(
      null,
    );
    expect(receiver.requests).toEqual([]);
  });

  test('an OTEL_EXPORTER_OTLP_ENDPOINT that is not an http(s) URL is refused in one line', async ({
    redis,
    s3,
  }) => {
    const env = {
      ...llmServicesEnv(s3, redis.url, 'http://127.0.0.1:9'),
      OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318',
    };
    const commands = [
      ['cluster-worker'],
      ['summarize-worker'],
      ['scheduler'],
      ['enqueue', '--date', '2025-08-04'],
    ];
    for (const command of commands) {
      const result = await runEtml(command, env);
      expect(result.code).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        'etml: invalid configuration: OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL, got "localhost:4318"',
      ]);
    }
  });
});
