import { createHash } from 'node:crypto';
import { keys, type RideDate } from '@etml/domain';
import type { ObjectStore } from '@etml/storage';
import { cleanContext, type PromptInput } from '@etml/summarization';

/** What a ride's prompt is made of, cleaned, so that equal situations are equal objects. */
export function promptInputOf(ride: Record<string, unknown>): PromptInput {
  const text = (value: unknown) => (typeof value === 'string' ? cleanContext(value) : '');
  const reasons = Array.isArray(ride.anomaly_reasons) ? ride.anomaly_reasons.map(String) : [];
  return {
    reasons: [...new Set(reasons)].sort(),
    news: text(ride.news),
    weather: text(ride.weather),
    traffic: text(ride.traffic),
  };
}

/** The content address of a prompt input. */
export function promptId(input: PromptInput): string {
  return createHash('sha256')
    .update(JSON.stringify([input.reasons, input.news, input.weather, input.traffic]))
    .digest('hex');
}

interface PromptLine {
  id: string;
  input: PromptInput;
}

/** Writes the day's distinct prompt inputs, sorted by id so the same day gives the same bytes. */
export async function writeDayPrompts(
  store: ObjectStore,
  date: RideDate,
  inputs: Map<string, PromptInput>,
): Promise<void> {
  const ids = [...inputs.keys()].sort();
  await store.writeNdjson(
    keys.prompts(date),
    (async function* () {
      for (const id of ids) yield { id, input: inputs.get(id) } as PromptLine;
    })(),
  );
}

/**
 * The prompt inputs of recent days, read once per day per process rather than once per job: a
 * day's summarize jobs all name their prompt in the same small file.
 */
export class DayPrompts {
  private readonly store: ObjectStore;
  private readonly days = new Map<RideDate, Promise<Map<string, PromptInput>>>();
  private readonly keep: number;

  constructor(store: ObjectStore, keep = 4) {
    this.store = store;
    this.keep = keep;
  }

  private read(date: RideDate, fresh: boolean): Promise<Map<string, PromptInput>> {
    let day = fresh ? undefined : this.days.get(date);
    if (!day) {
      day = (async () => {
        const map = new Map<string, PromptInput>();
        for await (const line of this.store.readNdjson<PromptLine>(keys.prompts(date))) {
          map.set(line.id, line.input);
        }
        return map;
      })();
      const pending = day;
      pending.catch(() => {
        if (this.days.get(date) === pending) this.days.delete(date);
      });
      this.days.delete(date);
      this.days.set(date, day);
      for (const old of this.days.keys()) {
        if (this.days.size <= this.keep) break;
        this.days.delete(old);
      }
    }
    return day;
  }

  /** The input with this id; a day clustered again since it was read is read again. */
  async get(date: RideDate, id: string): Promise<PromptInput> {
    const input = (await this.read(date, false)).get(id) ?? (await this.read(date, true)).get(id);
    if (!input) {
      throw new Error(`prompt ${id} is not in ${this.store.uri(keys.prompts(date))}`);
    }
    return input;
  }
}
