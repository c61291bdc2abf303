import { type ClusteringRecord, keys, type RideDate, readVerdict } from '@etml/domain';
import type { LlmPlan } from '@etml/outputs';
import { childKey, childStates, JOBS, type LoadDayResult } from '@etml/queues';
import type { RedisClient } from '@etml/runtime';
import type { ObjectStore } from '@etml/storage';
import { buildPrompt, estimateRequestCostUsd, type PromptInput } from '@etml/summarization';
import { Job, type Queue } from 'bullmq';
import { promptId, promptInputOf, writeDayPrompts } from '../prompts.ts';
import { type DayBudget, planLlm } from './budget.ts';
import { clusteredLines } from './clustered.ts';

export interface FanOutDeps {
  store: ObjectStore;
  /** Where the children go; the parent lives in the load queue. */
  summarizeQueue: Queue;
  /** The connection under summarizeQueue, to look children up in bulk. */
  redis: RedisClient;
  /** Tries per summary, and the first backoff; the catalog's defaults otherwise. */
  retry?: { attempts: number; backoffMs: number } | undefined;
  /** The model the summaries come from, whose list price the budget's estimates use. */
  model: string;
  /** The day's LLM limits; undefined when the summaries do not come from an LLM. */
  llmBudget?: DayBudget | undefined;
}

/** Children added per round trip. */
const CHILDREN_PER_ROUND_TRIP = 1_000;

/**
 * Fan-out: one summarize child per anomalous ride, told whether the day's LLM budget gives it
 * the LLM (see planLlm). The parent adds its own children, in batches,
 * while it holds its lock, and only then waits for them: a parent added before all of its
 * children could be released as soon as the first batch finished. The day's distinct prompt
 * inputs go to one file, so each child's payload is just a date, a ride id and a prompt id.
 *
 * After a crash the fan-out runs again. Children already attached to this parent are left
 * alone: re-adding one that failed would make it a pending dependency again and hold the parent
 * forever. A failed child left by an earlier load-D is removed first, then added afresh.
 */
export async function fanOut(
  job: Job<unknown, LoadDayResult>,
  date: RideDate,
  clustering: ClusteringRecord,
  deps: FanOutDeps,
): Promise<{ added: number; plan: LlmPlan | undefined }> {
  const { store, summarizeQueue } = deps;
  const children: { rideId: string | number; prompt: string; severity: number }[] = [];
  const inputs = new Map<string, PromptInput>();
  for await (const line of clusteredLines(store, date, clustering)) {
    const verdict = readVerdict(line);
    if (!verdict.anomaly) continue;
    const ride = JSON.parse(line) as Record<string, unknown> & { ride_id: string | number };
    const input = promptInputOf(ride);
    const id = promptId(input);
    inputs.set(id, input);
    children.push({ rideId: ride.ride_id, prompt: id, severity: verdict.score });
  }
  await writeDayPrompts(store, date, inputs);
  await job.log(
    `fan-out: ${children.length} anomalous rides, ${inputs.size} distinct prompts (${store.uri(keys.prompts(date))})`,
  );
  const budget = deps.llmBudget;
  const { llm, plan } = budget
    ? planLlm(
        children,
        id => estimateRequestCostUsd(deps.model, buildPrompt(inputs.get(id) as PromptInput)),
        budget,
      )
    : { llm: children.map(() => true), plan: undefined };
  if (plan) {
    await job.log(
      `LLM budget: ${plan.planned_calls} calls at most (${plan.planned_cost_usd ?? 'unknown'} USD at most) ` +
        `for ${plan.rides_llm} rides; ${plan.rides_offline} rides get the offline summary`,
    );
  }

  const spec = JOBS.summarizeRide;
  const options = {
    ...spec.options,
    ...(deps.retry
      ? {
          attempts: deps.retry.attempts,
          backoff: { ...spec.options.backoff, delay: deps.retry.backoffMs },
        }
      : {}),
  };
  const parent = { id: job.id as string, queue: job.queueQualifiedName };
  const parentRef = { id: parent.id, queueQualifiedName: parent.queue };
  let added = 0;
  for (let start = 0; start < children.length; start += CHILDREN_PER_ROUND_TRIP) {
    const batch = children.slice(start, start + CHILDREN_PER_ROUND_TRIP).map((child, i) => {
      const data = { date, rideId: child.rideId, prompt: child.prompt, llm: llm[start + i] };
      return { data, jobId: spec.jobId(data) };
    });
    const found = await childStates(
      deps.redis,
      parentRef,
      batch.map(({ jobId }) => childKey(summarizeQueue.qualifiedName, jobId)),
    );
    const missing = batch.filter((_, i) => !found[i]?.own);
    for (const [i, child] of batch.entries()) {
      if (found[i]?.own || !found[i]?.exists) continue;
      const orphan = await Job.fromId(summarizeQueue, child.jobId);
      if (orphan && (await orphan.getState()) === 'failed') await orphan.remove();
    }
    await summarizeQueue.addBulk(
      missing.map(({ data, jobId }) => ({
        name: spec.name,
        data,
        opts: { ...options, jobId, parent },
      })),
    );
    added += missing.length;
    await job.updateProgress({
      phase: 'fan-out',
      children: start + batch.length,
      of: children.length,
    });
  }
  return { added, plan };
}
