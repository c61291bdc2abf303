import { cleanContext, type LikelyCause, type PromptInput } from './prompt.ts';

export interface Summary {
  summary: string;
  likely_cause: LikelyCause;
}

/** Words that make a sentence relevant to a slow ride (long time or low speed). */
const SLOW = [
  'jam',
  'delay',
  'congest',
  'queue',
  'accident',
  'crash',
  'blocked',
  'closed',
  'closure',
  'roadwork',
  'lane',
  'heavy',
  'slow',
  'ic',
  'snow',
  'flood',
  'storm',
  'rain',
  'busy',
  'influx',
];

/** Words that make a sentence relevant to each reason. */
const RELEVANT: Record<string, readonly string[]> = {
  long_time: SLOW,
  low_speed: SLOW,
  long_distance: [
    'diversion',
    'detour',
    'closed',
    'closure',
    'blocked',
    'bridge',
    'airport',
    'festival',
    'match',
    'fans',
    'event',
  ],
  high_speed: ['normal', 'freely', 'light', 'quiet', 'clear', 'no major', 'dry'],
};

/** Keyword rules for the cause, strongest first: an accident outranks the rain that caused it. */
const CAUSES: readonly [LikelyCause, readonly string[]][] = [
  [
    'traffic_incident',
    ['accident', 'crash', 'collision', 'incident', 'blocked', 'injured', 'police'],
  ],
  [
    'roadworks',
    ['roadwork', 'road works', 'lane closure', 'lane restriction', 'overran', 'overrun'],
  ],
  ['weather', ['storm', 'snow', 'icy', 'ice', 'flood', 'rain', 'wind', 'gust', 'fog', 'warning']],
  [
    'event_demand',
    ['match', 'festival', 'concert', 'fans', 'shopper', 'shopping', 'visitors', 'event', 'crowd'],
  ],
];

function sentences(text: string): string[] {
  return (cleanContext(text).match(/[^.!?]+[.!?]+|[^.!?]+$/g) ?? [])
    .map(s => s.trim())
    .filter(s => s.length > 0);
}

function score(sentence: string, words: readonly string[]): number {
  const lower = sentence.toLowerCase();
  return words.reduce((n, word) => n + (lower.includes(word) ? 1 : 0), 0);
}

/**
 * A summary with no network: the (at most three) context sentences most related to the ride's
 * anomaly reasons, in their original order, and a cause from keyword rules. It is the fallback
 * when no LLM is configured, and it is deterministic.
 */
export function extractiveSummary(input: PromptInput): Summary {
  const words = [...new Set(input.reasons.flatMap(r => RELEVANT[r] ?? []))];
  const all = [input.traffic, input.news, input.weather].flatMap(t => sentences(t ?? ''));
  const ranked = all
    .map((sentence, index) => ({ sentence, index, score: score(sentence, words) }))
    .filter(s => s.score > 0)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, 3)
    .sort((a, b) => a.index - b.index);
  if (ranked.length === 0) {
    return {
      summary: "Nothing in the day's news, weather or traffic reports explains this ride.",
      likely_cause: 'unknown',
    };
  }
  const chosen = ranked.map(r => r.sentence);
  const text = chosen.join(' ').toLowerCase();
  const cause = CAUSES.find(([, keys]) => keys.some(k => text.includes(k)))?.[0] ?? 'unknown';
  return { summary: chosen.join(' '), likely_cause: cause };
}
