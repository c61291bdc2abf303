/**
 * The ride line: one JSON object per line of clustered/date=D/rides.jsonl and
 * output/date=D/rides.jsonl. The input's own fields come first, byte for byte as the input wrote
 * them; the cluster step appends the verdict, then the load step the summary. This module is the
 * one place that writes or reads those appended fields as text, so the two steps cannot drift.
 */

/** The input fields the seed format defines; any other input field is carried as it came. */
export const INPUT_FIELDS = [
  'ride_id',
  'ride_dist',
  'ride_time',
  'ride_speed',
  'selection_idx',
  'news',
  'weather',
  'traffic',
] as const;

/** Appended by the cluster step, in this order. */
export const VERDICT_FIELDS = ['label', 'anomaly', 'anomaly_reasons', 'anomaly_score'] as const;

/** Appended by the load step after the verdict, in this order. */
export const SUMMARY_FIELDS = [
  'summary',
  'summary_source',
  'likely_cause',
  'summary_error',
] as const;

/** Every field the pipeline adds to a ride, in line order. */
export const ADDED_FIELDS = [...VERDICT_FIELDS, ...SUMMARY_FIELDS] as const;

/**
 * One line of output/date=D/rides.jsonl: the input fields, unchanged, then the verdict and the
 * summary. Only the fields the outputs read are typed here.
 */
export interface OutputRecord {
  ride_id: string | number;
  ride_dist: number;
  ride_time: number;
  ride_speed?: number | null;
  selection_idx?: number | null;
  news?: string | null;
  weather?: string | null;
  traffic?: string | null;
  label: number;
  anomaly: boolean;
  anomaly_reasons: string[];
  /** Severity within the day: 1 on the line between normal and anomalous, larger is worse. */
  anomaly_score: number;
  summary: string | null;
  summary_source: 'llm' | 'extractive' | 'failed' | null;
  likely_cause: string | null;
  summary_error: string | null;
  [field: string]: unknown;
}

export interface Verdict {
  /** The DBSCAN cluster, or -1 for noise. */
  label: number;
  anomaly: boolean;
  reasons: readonly string[];
  /** Severity within the day; a finite number. */
  score: number;
}

const VERDICT_PATTERN = /"(label|anomaly|anomaly_reasons|anomaly_score)"\s*:/;
/** A key written with escapes ("lab\u0065l") could be a verdict field; such rows take the slow path. */
const ESCAPED_KEY = /"(?:[^"\\]|\\.)*\\(?:[^"\\]|\\.)*"\s*:/;

function verdictText({ label, anomaly, reasons, score }: Verdict): string {
  if (!Number.isFinite(score)) throw new Error(`anomaly_score must be finite, got ${score}`);
  const list = reasons.length === 0 ? '[]' : `["${reasons.join('","')}"]`;
  return `"label":${label},"anomaly":${anomaly},"anomaly_reasons":${list},"anomaly_score":${score}`;
}

/**
 * The clustered line for a ride. A JSON input's own text is kept, with the verdict spliced in
 * before its closing brace, so every input field keeps its exact bytes (and it is faster than
 * parse-and-stringify); anything else, or an input that carries verdict fields of its own (which
 * the verdict replaces), is serialized. `value` may be left out when `text` is JSON.
 */
export function appendVerdict(value: unknown, text: string | undefined, verdict: Verdict): string {
  const added = verdictText(verdict);
  if (
    text?.endsWith('}') &&
    !/[\r\n]/.test(text) &&
    !VERDICT_PATTERN.test(text) &&
    !(text.includes('\\') && ESCAPED_KEY.test(text))
  ) {
    return `${text.slice(0, -1)},${added}}`;
  }
  const parsed = value === undefined && text !== undefined ? JSON.parse(text) : value;
  const record = { ...(parsed as Record<string, unknown>) };
  for (const field of VERDICT_FIELDS) delete record[field];
  const json = JSON.stringify(record);
  return `${json.slice(0, -1)}${json === '{}' ? '' : ','}${added}}`;
}

const VERDICT_TAIL =
  /"anomaly":(true|false),"anomaly_reasons":\[[^\]]*\],"anomaly_score":(-?[0-9][0-9.eE+-]*)\}$/;

/** Whether a clustered line is an anomaly, and how severe, read from its tail without parsing it. */
export function readVerdict(line: string): { anomaly: boolean; score: number } {
  const match = VERDICT_TAIL.exec(line);
  if (!match) throw new Error(`clustered line does not end with its labels: ${line.slice(-120)}`);
  return { anomaly: match[1] === 'true', score: Number(match[2]) };
}

/** The summary fields of one ride, as the output line holds them. */
export type Summary = Pick<OutputRecord, (typeof SUMMARY_FIELDS)[number]>;

/** A normal ride's summary fields: it has none. */
export const NO_SUMMARY: Summary = {
  summary: null,
  summary_source: null,
  likely_cause: null,
  summary_error: null,
};

const NO_SUMMARY_TEXT = summaryText(NO_SUMMARY);

function summaryText(s: Summary): string {
  return `"summary":${JSON.stringify(s.summary)},"summary_source":${JSON.stringify(s.summary_source)},"likely_cause":${JSON.stringify(s.likely_cause)},"summary_error":${JSON.stringify(s.summary_error)}`;
}

/** The output line: a clustered line with the ride's summary fields appended. */
export function appendSummary(clusteredLine: string, summary: Summary): string {
  const added = summary === NO_SUMMARY ? NO_SUMMARY_TEXT : summaryText(summary);
  return `${clusteredLine.slice(0, -1)},${added}}`;
}

/** Parses one output line, checking the fields whose types the outputs depend on. */
export function readOutputLine(line: string, where: string): OutputRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new Error(`${where} is not JSON: ${(error as Error).message}`);
  }
  const record = value as OutputRecord;
  const bad = (field: string, expected: string) =>
    new Error(
      `${where}: ${field} must be ${expected}, got ${JSON.stringify((record as Record<string, unknown>)?.[field])}`,
    );
  if (typeof record !== 'object' || record === null) throw new Error(`${where} is not an object`);
  if (typeof record.ride_id !== 'string' && typeof record.ride_id !== 'number') {
    throw bad('ride_id', 'a string or a number');
  }
  if (typeof record.ride_dist !== 'number') throw bad('ride_dist', 'a number');
  if (typeof record.ride_time !== 'number') throw bad('ride_time', 'a number');
  if (!Number.isInteger(record.label)) throw bad('label', 'an integer');
  if (typeof record.anomaly !== 'boolean') throw bad('anomaly', 'a boolean');
  if (typeof record.anomaly_score !== 'number') throw bad('anomaly_score', 'a number');
  if (
    !Array.isArray(record.anomaly_reasons) ||
    record.anomaly_reasons.some(r => typeof r !== 'string')
  ) {
    throw bad('anomaly_reasons', 'a list of strings');
  }
  return record;
}
