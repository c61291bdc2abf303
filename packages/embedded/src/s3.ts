import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getFreePort, LOCALHOST, probeTcp } from './net.ts';
import { type ServerHandle, spawnServer } from './server-process.ts';

/** s3rver checks request signatures against this fixed key pair. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

const MAIN = fileURLToPath(new URL('./s3-server-main.ts', import.meta.url));

export interface StartS3Options {
  /** Objects live under this directory, one folder per bucket. */
  dir: string;
  port?: number;
  buckets?: string[];
  detached?: boolean;
}

/** An S3-API server (s3rver) on 127.0.0.1, storing objects on local disk. */
export async function startS3Server(options: StartS3Options): Promise<ServerHandle> {
  const port = options.port ?? (await getFreePort());
  mkdirSync(options.dir, { recursive: true });
  return spawnServer({
    name: `S3-API server on port ${port}`,
    command: process.execPath,
    args: [
      '--disable-warning=ExperimentalWarning',
      MAIN,
      String(port),
      options.dir,
      ...(options.buckets ?? []),
    ],
    port,
    ready: async () => {
      await probeTcp(port);
      return true;
    },
    ...(options.detached ? { detached: { logFile: join(options.dir, '..', 's3.log') } } : {}),
  });
}

export function s3Endpoint(port: number): string {
  return `http://${LOCALHOST}:${port}`;
}
