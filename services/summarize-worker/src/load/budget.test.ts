import { describe, expect, it } from 'vitest';
import { type Candidate, planLlm } from './budget.ts';

const flat = (usd: number) => () => usd;

describe('planLlm', () => {
  // Every ride its own prompt, scores out of order.
  const rides: Candidate[] = [0.5, 3, 1, 7, 2, 7, 0.1].map((severity, i) => ({
    prompt: `p${i}`,
    severity,
  }));

  it('gives the LLM to the N most severe rides, the earlier first on a tie, and the rest offline', () => {
    const { llm, plan } = planLlm(rides, flat(0.01), { maxSummaries: 3 });
    // 7 (ride 3), 7 (ride 5), then 3 (ride 1).
    expect(llm).toEqual([false, true, false, true, false, true, false]);
    expect(plan).toEqual({
      max_summaries_per_day: 3,
      max_cost_per_day_usd: null,
      planned_calls: 3,
      planned_cost_usd: expect.closeTo(0.03, 12),
      rides_llm: 3,
      rides_offline: 4,
    });
    // Ties go by input order, whatever the order of the scores around them.
    expect(planLlm(rides, flat(0.01), { maxSummaries: 1 }).llm).toEqual([
      false,
      false,
      false,
      true,
      false,
      false,
      false,
    ]);
  });

  it('without limits gives every ride the LLM and still estimates the cost', () => {
    const { llm, plan } = planLlm(rides, flat(0.5), {});
    expect(llm.every(Boolean)).toBe(true);
    expect(plan).toMatchObject({ planned_calls: 7, planned_cost_usd: 3.5, rides_offline: 0 });
    expect(planLlm(rides, () => null, {}).plan.planned_cost_usd).toBeNull();
  });

  it('counts a call per distinct prompt: rides sharing one share its call', () => {
    const shared: Candidate[] = [
      { prompt: 'a', severity: 1 },
      { prompt: 'b', severity: 5 },
      { prompt: 'a', severity: 9 },
      { prompt: 'c', severity: 4 },
      { prompt: 'b', severity: 0 },
    ];
    const { llm, plan } = planLlm(shared, flat(1), { maxSummaries: 2 });
    expect(llm).toEqual([true, true, true, false, true]);
    expect(plan).toMatchObject({ planned_calls: 2, rides_llm: 4, rides_offline: 1 });
  });

  it('keeps the estimated cost within the budget, most severe first, and fits cheaper prompts in what is left', () => {
    const cost: Record<string, number> = { p0: 1, p1: 2, p2: 1, p3: 2, p4: 5, p5: 2, p6: 1 };
    const { llm, plan } = planLlm(rides, p => cost[p] ?? 0, { maxCostUsd: 7 });
    // 7 (p3, 2), 7 (p5, 2), 3 (p1, 2): 6; 2 (p4, 5) does not fit; 1 (p2, 1) does: 7.
    expect(llm).toEqual([false, true, true, true, false, true, false]);
    expect(plan).toMatchObject({ planned_calls: 4, planned_cost_usd: 7, rides_offline: 3 });
    // A budget met exactly by a sum of decimal prices is met.
    const tenths = Array.from({ length: 3 }, (_, i) => ({ prompt: `t${i}`, severity: 1 }));
    expect(planLlm(tenths, flat(0.1), { maxCostUsd: 0.3 }).plan.planned_calls).toBe(3);
  });

  it('holds both limits at once, and gives no call for a cost budget at an unknown price', () => {
    expect(planLlm(rides, flat(1), { maxSummaries: 5, maxCostUsd: 2 }).plan.planned_calls).toBe(2);
    expect(planLlm(rides, flat(1), { maxSummaries: 2, maxCostUsd: 5 }).plan.planned_calls).toBe(2);
    expect(planLlm(rides, () => null, { maxCostUsd: 5 }).plan).toMatchObject({
      planned_calls: 0,
      rides_offline: 7,
    });
  });
});
