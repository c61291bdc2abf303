export { getFreePort, S3RVER_CREDENTIALS } from '@etml/embedded';
export {
  type FakeLlm,
  type FakeLlmOptions,
  type FakeLlmRequest,
  type LlmFault,
  startFakeLlm,
} from './fake-llm.ts';
export { type FaultProxy, type FaultProxyOptions, startFaultProxy } from './fault-proxy.ts';
export { type RedisTarget, type S3Target, test } from './fixtures.ts';
export { redisClients } from './redis-clients.ts';
export {
  type RedisCluster,
  redisCommand,
  type SentinelGroup,
  startRedisCluster,
  startSentinelGroup,
} from './redis-topologies.ts';
