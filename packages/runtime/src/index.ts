export { closeOnce } from './close-once.ts';
export { type Connected, connectRedis, connectStore } from './connect.ts';
export { EMBEDDED_BUCKET, type Infra, infraEnv, infraFrom, PROJECT_ROOT } from './infra.ts';
export { type RedisLock, tryLock } from './lock.ts';
export {
  createLogger,
  type LineWriter,
  type LogFormat,
  type Logger,
  type LogLevel,
  type LogSettings,
  prettyLine,
  resolveLogFormat,
  withLogFields,
} from './log.ts';
export { metricsRegistry, observeJob, startMetricsServer } from './metrics-server.ts';
export { redisEvictionPolicy } from './redis-ready.ts';
export {
  checkRedisTarget,
  createRedisClient,
  describeRedisTarget,
  keyPrefixOf,
  ownKeys,
  type RedisClient,
  type RedisTarget,
  redactUrl,
  redisTargetFrom,
  withKeyPrefix,
} from './redis-target.ts';
export {
  type RunningService,
  runService,
  type ServiceContext,
  type ServiceDefinition,
  type StartedService,
} from './service.ts';
export { queueTelemetry, startTracing, type Tracing } from './tracing.ts';
export { type CodeVersion, codeVersion } from './version.ts';
