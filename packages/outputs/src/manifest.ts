import { type ClusteringRecord, keys, type RideDate } from '@etml/domain';
import type { ObjectStore } from '@etml/storage';

/** Counts gathered while the day's rides are written. */
export interface Tally {
  rides: number;
  anomalies: number;
  byReason: Record<string, number>;
  bySource: { llm: number; extractive: number; failed: number };
  calls: number;
  cacheHits: number;
  promptTokens: number;
  completionTokens: number;
  /** The first failed summaries, with their reasons. */
  failed: { ride_id: string | number; reason: string }[];
}

/**
 * The day's LLM budget: its limits, what the fan-out gave the LLM within them (estimated from
 * prompt sizes before any call), and what the calls really cost.
 */
export interface LlmBudget {
  /** LLM_MAX_SUMMARIES_PER_DAY, or null when unset. */
  max_summaries_per_day: number | null;
  /** LLM_MAX_COST_PER_DAY_USD, or null when unset. */
  max_cost_per_day_usd: number | null;
  /** Distinct prompts given the LLM: the most calls the day can make (cached ones cost none). */
  planned_calls: number;
  /** Their cost at most (prompt estimate and the longest answer, at list price); null: no price. */
  planned_cost_usd: number | null;
  /** What the calls made cost, from the tokens they used, at list price; null: no price. */
  actual_cost_usd: number | null;
  /** Anomalous rides given the LLM, and given the offline summary because of the budget. */
  rides_llm: number;
  rides_offline: number;
}

/** The budget as the fan-out planned it, before any call. */
export type LlmPlan = Omit<LlmBudget, 'actual_cost_usd'>;

export interface OutputFileEntry {
  key: string;
  bytes: number;
  sha256: string;
}

/** output/date=D/_manifest.json: written last, it says the day is complete and what it holds. */
export interface DayManifest {
  date: RideDate;
  status: 'complete';
  created_at: string;
  counts: {
    rides: number;
    valid: number;
    rejected: number;
    clusters: number;
    noise: number;
    anomalies: number;
    anomalies_by_reason: Record<string, number>;
    summaries_by_source: { llm: number; extractive: number; failed: number };
  };
  llm: {
    model: string;
    prompt_version: string;
    calls: number;
    cache_hits: number;
    prompt_tokens: number;
    completion_tokens: number;
    /** At list price; null for a model whose price is unknown (gateways, local models). */
    estimated_cost_usd: number | null;
    /** Null when the summaries did not come from an LLM (or the fan-out predates budgets). */
    budget: LlmBudget | null;
  };
  failed_summaries: Tally['failed'];
  params: { dbscan: ClusteringRecord['params'] };
  code: { version: string; commit: string | null };
  inputs: Record<string, string>;
  files: Record<string, OutputFileEntry>;
}

/** Dollars to a millionth, as the manifest shows them. */
const usd = (value: number | null) => (value === null ? null : Number(value.toFixed(6)));

export function manifestOf(parts: {
  date: RideDate;
  cluster: ClusteringRecord;
  tally: Tally;
  model: string;
  promptVersion: string;
  costUsd: number | null;
  /** The fan-out's plan for the day's LLM calls, if it made one. */
  plan: LlmPlan | undefined;
  codeVersion: DayManifest['code'];
  files: DayManifest['files'];
  inputs: Record<string, string>;
}): DayManifest {
  const { cluster, tally } = parts;
  const sorted = (record: Record<string, number>) =>
    Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
  return {
    date: parts.date,
    status: 'complete',
    created_at: new Date().toISOString(),
    counts: {
      rides: cluster.rows,
      valid: cluster.valid,
      rejected: cluster.rejected,
      clusters: cluster.clusters,
      noise: cluster.noise,
      anomalies: tally.anomalies,
      anomalies_by_reason: sorted(tally.byReason),
      summaries_by_source: tally.bySource,
    },
    llm: {
      model: parts.model,
      prompt_version: parts.promptVersion,
      calls: tally.calls,
      cache_hits: tally.cacheHits,
      prompt_tokens: tally.promptTokens,
      completion_tokens: tally.completionTokens,
      estimated_cost_usd: usd(parts.costUsd),
      budget: parts.plan
        ? {
            ...parts.plan,
            planned_cost_usd: usd(parts.plan.planned_cost_usd),
            actual_cost_usd: usd(parts.costUsd),
          }
        : null,
    },
    failed_summaries: tally.failed,
    params: { dbscan: cluster.params },
    code: parts.codeVersion,
    inputs: { raw: cluster.input, ...parts.inputs },
    files: parts.files,
  };
}

/** The day's manifest, or undefined while the day is not complete. */
export async function readManifest(
  store: ObjectStore,
  date: RideDate,
): Promise<DayManifest | undefined> {
  const manifest = await store.getJsonIfExists<DayManifest>(keys.manifest(date));
  if (manifest === undefined) return undefined;
  if (manifest?.date !== date || manifest.status !== 'complete' || !manifest.counts) {
    throw new Error(`${store.uri(keys.manifest(date))} is not a complete day's manifest`);
  }
  return manifest;
}

/**
 * How many of a day's summaries failed, of how many, when that is more than `maxShare` of them;
 * undefined when it is within the share.
 */
export function failedOverShare(
  manifest: DayManifest,
  maxShare: number,
): { failed: number; total: number } | undefined {
  const { llm, extractive, failed } = manifest.counts.summaries_by_source;
  const total = llm + extractive + failed;
  if (failed === 0 || failed / total <= maxShare) return undefined;
  return { failed, total };
}
