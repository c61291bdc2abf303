export {
  type EnvSource,
  envBool,
  envClockTime,
  envEnum,
  envInt,
  envNumber,
  envString,
  envTimeZone,
  envUrl,
  parseEnv,
} from './env.ts';
export {
  alertEnv,
  alertUrl,
  deadlineEnv,
  jobLockEnv,
  jobLockOptions,
  llmEnv,
  logEnv,
  logSettings,
  metricsEnv,
  redisEnv,
  reportEnv,
  s3Env,
  scheduleTzEnv,
} from './fragments.ts';
export { ENV_REFERENCE, type EnvVarDoc, envTableMarkdown } from './reference.ts';
