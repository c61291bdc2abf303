import { DependencyError, type RideDate } from '@etml/domain';
import { embeddedStatus, redisUrl } from '@etml/embedded';
import { type Promotion, promoteClusterDay } from '@etml/queues';
import { withKeyPrefix } from '@etml/runtime';
import type { CliEnv } from './env.ts';
import { withDayQueues } from './follow.ts';

/**
 * The Redis whose queues may hold a job waiting for this input: REDIS_URL, or the embedded
 * redis-server if it is running. It is not started for this: with no Redis up, no worker is
 * waiting either, and an upload must not need one.
 */
async function queuesRedis(env: CliEnv): Promise<string | undefined> {
  if (env.redisUrl) return withKeyPrefix(env.redisUrl, env.redisPrefix);
  const running = (await embeddedStatus(env.dataDir)).redis;
  return running ? withKeyPrefix(redisUrl(running.port), env.redisPrefix) : undefined;
}

function describe(date: RideDate, promotion: Promotion): string | undefined {
  const { jobId, state } = promotion;
  if (promotion.promoted) return `${jobId} was waiting for this input: started it`;
  if (state === 'completed') {
    return `${jobId} is already done; etml run --date ${date} --force computes the day again from this input`;
  }
  if (state === 'failed') {
    return `${jobId} failed (${promotion.failedReason}); etml run --date ${date} --force runs it again on this input`;
  }
  // No job, or one that is waiting or running: it reads the input when it gets to it.
  return undefined;
}

/**
 * Raw input for these dates has just been uploaded: a cluster-D delayed until its next check
 * starts now (upload, simulate and import call this). Redis being down does not fail the upload.
 */
export async function rawInputArrived(env: CliEnv, dates: RideDate[]): Promise<void> {
  const url = await queuesRedis(env);
  if (!url || dates.length === 0) return;
  try {
    await withDayQueues(url, async queues => {
      for (const date of dates) {
        const line = describe(date, await promoteClusterDay(queues.cluster, date));
        if (line) process.stderr.write(`${line}\n`);
      }
    });
  } catch (error) {
    if (!(error instanceof DependencyError)) throw error;
    process.stderr.write(
      `warning: could not start a cluster job waiting for this input (${error.message}); it finds the input at its next check\n`,
    );
  }
}
