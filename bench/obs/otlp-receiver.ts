/**
 * `pnpm bench:obs`: a local OTLP/HTTP trace receiver, so the services' exporter does its real
 * work (serialize, POST, wait for the answer) and the benchmark can count what arrived.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { LOCALHOST } from '@etml/embedded';

export interface OtlpCounts {
  /** POSTs to /v1/traces. */
  requests: number;
  /** Bytes of those bodies as sent (compressed when they were). */
  bytes: number;
  /** Spans in the JSON bodies: resourceSpans[].scopeSpans[].spans[]. */
  spans: number;
  /** Bodies whose spans could not be counted (protobuf, or not JSON). */
  uncounted: number;
}

export interface OtlpReceiver {
  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it (traces go to `${url}/v1/traces`). */
  url: string;
  counts(): OtlpCounts;
  close(): Promise<void>;
}

interface ExportRequest {
  resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[];
}

function spansIn(body: ExportRequest): number {
  let n = 0;
  for (const resource of body.resourceSpans ?? []) {
    for (const scope of resource.scopeSpans ?? []) n += scope.spans?.length ?? 0;
  }
  return n;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const counts: OtlpCounts = { requests: 0, bytes: 0, spans: 0, uncounted: 0 };
  const server = createServer((request, response) => {
    if (request.method !== 'POST' || request.url !== '/v1/traces') {
      response.writeHead(404).end();
      return;
    }
    void readBody(request).then(raw => {
      counts.requests += 1;
      counts.bytes += raw.length;
      try {
        const body =
          request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString() : String(raw);
        counts.spans += spansIn(JSON.parse(body) as ExportRequest);
      } catch {
        counts.uncounted += 1;
      }
      // An empty ExportTraceServiceResponse: every span accepted.
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  // The exporter keeps its connection alive between batches.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>(resolve => server.listen(0, LOCALHOST, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOCALHOST}:${port}`,
    counts: () => ({ ...counts }),
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
