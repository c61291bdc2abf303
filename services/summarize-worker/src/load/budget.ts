import type { LlmPlan } from '@etml/outputs';

/** A day's LLM limits; unset ones do not limit. */
export interface DayBudget {
  /** LLM calls (distinct prompts) a day may make. */
  maxSummaries?: number | undefined;
  /** What those calls may cost at most, estimated before any is made. */
  maxCostUsd?: number | undefined;
}

/** An anomalous ride, as the budget sees it: its prompt (by id) and how severe it is. */
export interface Candidate {
  prompt: string;
  severity: number;
}

/** Floating-point sums of prices must not refuse a budget they meet exactly. */
const EPSILON_USD = 1e-12;

/**
 * Which anomalous rides get an LLM summary, decided once, at the fan-out, from the day alone:
 * rides are taken from the most severe down (ties: the earlier ride first). A ride whose prompt
 * already has the LLM shares that call and costs nothing more; any other takes one call and its
 * prompt's estimated cost, if the budget still allows both, and the offline summary otherwise
 * (a later, cheaper prompt may still fit the money left).
 *
 * The cache is not consulted on purpose: the same day and budget always choose the same rides,
 * so a rerun is byte-identical and, its calls being cached, free. A plan that counted cached
 * prompts as free would buy the next rides' summaries on every rerun.
 *
 * `costOf` is a prompt's cost at most, or null when the model has no known price (then a cost
 * budget cannot be met, and the planned cost is null).
 */
export function planLlm(
  rides: readonly Candidate[],
  costOf: (prompt: string) => number | null,
  budget: DayBudget,
): { llm: boolean[]; plan: LlmPlan } {
  const order = rides.map((_, i) => i);
  order.sort((a, b) => (rides[b]?.severity ?? 0) - (rides[a]?.severity ?? 0) || a - b);
  const llm = rides.map(() => false);
  const granted = new Set<string>();
  let spent: number | null = 0;
  for (const i of order) {
    const { prompt } = rides[i] as Candidate;
    if (!granted.has(prompt)) {
      if (budget.maxSummaries !== undefined && granted.size >= budget.maxSummaries) continue;
      const cost = costOf(prompt);
      if (
        budget.maxCostUsd !== undefined &&
        (cost === null || (spent ?? 0) + cost > budget.maxCostUsd + EPSILON_USD)
      ) {
        continue;
      }
      granted.add(prompt);
      spent = spent === null || cost === null ? null : spent + cost;
    }
    llm[i] = true;
  }
  const ridesLlm = llm.filter(Boolean).length;
  return {
    llm,
    plan: {
      max_summaries_per_day: budget.maxSummaries ?? null,
      max_cost_per_day_usd: budget.maxCostUsd ?? null,
      planned_calls: granted.size,
      planned_cost_usd: spent,
      rides_llm: ridesLlm,
      rides_offline: rides.length - ridesLlm,
    },
  };
}
