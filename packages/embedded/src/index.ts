export {
  type EmbeddedRedisOptions,
  type EmbeddedServer,
  embeddedStatus,
  ensureEmbeddedRedis,
  ensureEmbeddedS3,
  stopEmbedded,
} from './embedded.ts';
export { getFreePort, LOCALHOST, probeTcp, waitUntil } from './net.ts';
export {
  ensureRedisServerBinary,
  findRedisServer,
  isRedisAnswering,
  REDIS_INSTALL_HELP,
  redisUrl,
  type StartSentinelOptions,
  startRedisSentinel,
  startRedisServer,
} from './redis.ts';
export { S3RVER_CREDENTIALS, s3Endpoint, startS3Server } from './s3.ts';
export type { ServerHandle } from './server-process.ts';
