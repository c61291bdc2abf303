import { ensureEmbeddedRedis, ensureEmbeddedS3, S3RVER_CREDENTIALS } from '@etml/embedded';
import { createObjectStore, type ObjectStore } from '@etml/storage';
import { EMBEDDED_BUCKET, type Infra } from './infra.ts';
import { describeRedisTarget, type RedisTarget, redactUrl, withKeyPrefix } from './redis-target.ts';

export interface Connected<T> {
  value: T;
  /** Where it lives, for people: "embedded S3 at http://127.0.0.1:4569 (data in .data/s3)". */
  description: string;
  /** Set for the embedded S3 server: where it keeps objects on local disk. */
  embeddedDir?: string;
}

/** The configured S3 store, or the embedded S3-API server when S3_ENDPOINT and S3_BUCKET are unset. */
export async function connectStore(env: Infra): Promise<Connected<ObjectStore>> {
  if (env.s3) {
    const store = createObjectStore(env.s3);
    return {
      value: store,
      description: env.s3.endpoint ? redactUrl(env.s3.endpoint) : store.where,
    };
  }
  const server = await ensureEmbeddedS3(env.dataDir, EMBEDDED_BUCKET);
  const store = createObjectStore({
    bucket: EMBEDDED_BUCKET,
    prefix: env.s3Prefix,
    endpoint: server.url,
    region: env.region,
    credentials: { ...S3RVER_CREDENTIALS },
  });
  await store.ensureBucket();
  const verb = server.started ? 'started' : 'running';
  return {
    value: store,
    description: `embedded S3 at ${server.url} (${verb}, pid ${server.pid}, data in ${server.dir})`,
    embeddedDir: server.dir,
  };
}

/** The configured Redis target, or the embedded redis-server's URL when none is set. */
export async function connectRedis(env: Infra): Promise<Connected<RedisTarget>> {
  if (env.redisUrl) {
    const value = withKeyPrefix(env.redisUrl, env.redisPrefix);
    return { value, description: describeRedisTarget(value) };
  }
  const server = await ensureEmbeddedRedis(env.dataDir, { install: true });
  const verb = server.started ? 'started' : 'running';
  return {
    value: withKeyPrefix(server.url, env.redisPrefix),
    description: `embedded redis-server at ${server.url} (${verb}, pid ${server.pid}, data in ${server.dir})`,
  };
}
