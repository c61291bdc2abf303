import { createServer, request, type Server } from 'node:http';
import { LOCALHOST } from '@etml/embedded';

export interface FaultProxy {
  url: string;
  /** Requests seen, faulted ones included. */
  readonly requests: number;
  /** Requests answered with the fault instead of being forwarded. */
  readonly faulted: number;
  /** Requests whose connection was dropped instead. */
  readonly resets: number;
  /** Responses cut off after their first chunk. */
  readonly cuts: number;
  /** Response body bytes passed back from the server so far. */
  readonly bytesDown: number;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  targetPort: number;
  /**
   * Decides, per request (1-based): true answers with `status` instead of forwarding, 'reset'
   * drops the connection without an answer, 'cut' forwards but drops the connection after the
   * response's first chunk (a body cut off mid-stream), false forwards.
   */
  fault: (requestNumber: number) => boolean | 'reset' | 'cut';
  status?: number;
  headers?: Record<string, string>;
}

/**
 * An HTTP proxy on 127.0.0.1 that answers chosen requests with an error status and forwards
 * the rest untouched, so retry paths run against the real server behind it.
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  let requests = 0;
  let faulted = 0;
  let resets = 0;
  let cuts = 0;
  let bytesDown = 0;
  const server: Server = createServer((req, res) => {
    requests += 1;
    const fault = options.fault(requests);
    if (fault === 'reset') {
      resets += 1;
      req.socket.destroy();
      return;
    }
    if (fault === true) {
      faulted += 1;
      req.resume();
      res.writeHead(options.status ?? 503, {
        'content-type': 'application/xml',
        ...options.headers,
      });
      res.end(
        '<?xml version="1.0"?><Error><Code>ServiceUnavailable</Code><Message>injected</Message></Error>',
      );
      return;
    }
    const upstream = request(
      {
        host: LOCALHOST,
        port: options.targetPort,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      upstreamRes => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.on('data', (chunk: Buffer) => {
          bytesDown += chunk.byteLength;
        });
        if (fault === 'cut') {
          // The head and at most one chunk reach the client, then the connection goes.
          cuts += 1;
          const drop = () => res.socket?.destroy();
          upstreamRes.once('data', (chunk: Buffer) => {
            upstreamRes.destroy();
            res.write(chunk, drop);
          });
          upstreamRes.once('end', drop);
          return;
        }
        upstreamRes.pipe(res);
      },
    );
    upstream.on('error', error => res.destroy(error));
    req.pipe(upstream);
  });
  await new Promise<void>(resolve => server.listen(0, LOCALHOST, resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('fault proxy has no address');
  return {
    url: `http://${LOCALHOST}:${address.port}`,
    get requests() {
      return requests;
    },
    get faulted() {
      return faulted;
    },
    get resets() {
      return resets;
    },
    get cuts() {
      return cuts;
    },
    get bytesDown() {
      return bytesDown;
    },
    close: () => new Promise(resolve => server.close(() => resolve())),
  };
}
