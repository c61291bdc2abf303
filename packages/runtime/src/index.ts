export { type Connected, connectRedis, connectStore, redactUrl } from './connect.ts';
export { EMBEDDED_BUCKET, type Infra, infraEnv, infraFrom, PROJECT_ROOT } from './infra.ts';
export { type RedisLock, tryLock } from './lock.ts';
export { createLogger, type Logger } from './log.ts';
export { redisEvictionPolicy, waitForRedis } from './redis-ready.ts';
export { onShutdown } from './shutdown.ts';
export { type CodeVersion, codeVersion } from './version.ts';
