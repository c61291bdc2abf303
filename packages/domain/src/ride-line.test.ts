import { describe, expect, it } from 'vitest';
import {
  ADDED_FIELDS,
  appendSummary,
  appendVerdict,
  NO_SUMMARY,
  readOutputLine,
  readVerdict,
  type Summary,
} from './ride-line.ts';

// The contract between the cluster step (appendVerdict), the load step (readVerdict,
// appendSummary) and the outputs (readOutputLine): a change on one side fails here.

const anomalous = {
  label: -1,
  anomaly: true,
  reasons: ['long_distance', 'long_time'],
  score: 2.375,
};
const normal = { label: 0, anomaly: false, reasons: [], score: 0.12 };
const summarized: Summary = {
  summary: 'Roadworks on the "M8", then rain.\nExpect delays — 20 min.',
  summary_source: 'llm',
  likely_cause: 'roadworks',
  summary_error: null,
};

describe('the ride line', () => {
  it('keeps every input byte and appends the verdict, then the summary, in ADDED_FIELDS order', () => {
    // Spacing, number spellings and escapes a parse-and-stringify would change.
    const input = '{"ride_id": "r\\u00e9-1", "ride_dist":1.50,"ride_time":2e-1, "fare": 12.0}';
    const clustered = appendVerdict(undefined, input, anomalous);
    expect(clustered).toBe(
      `${input.slice(0, -1)},"label":-1,"anomaly":true,"anomaly_reasons":["long_distance","long_time"],"anomaly_score":2.375}`,
    );
    expect(readVerdict(clustered)).toEqual({ anomaly: true, score: 2.375 });

    const output = appendSummary(clustered, summarized);
    expect(output.startsWith(clustered.slice(0, -1))).toBe(true);
    expect(output).not.toContain('\n');
    const record = readOutputLine(output, 'line 1');
    expect(Object.keys(record).slice(-ADDED_FIELDS.length)).toEqual([...ADDED_FIELDS]);
    expect(record).toMatchObject({
      ride_id: 'ré-1',
      fare: 12,
      label: -1,
      anomaly: true,
      anomaly_reasons: ['long_distance', 'long_time'],
      anomaly_score: 2.375,
      ...summarized,
    });
  });

  it('gives a normal ride null summary fields, and a failed one its reason', () => {
    const clustered = appendVerdict(undefined, '{"ride_id":1,"ride_dist":1,"ride_time":1}', normal);
    expect(readVerdict(clustered)).toEqual({ anomaly: false, score: 0.12 });
    expect(appendSummary(clustered, NO_SUMMARY)).toBe(
      '{"ride_id":1,"ride_dist":1,"ride_time":1,"label":0,"anomaly":false,"anomaly_reasons":[],"anomaly_score":0.12,"summary":null,"summary_source":null,"likely_cause":null,"summary_error":null}',
    );
    const failed = appendSummary(clustered, {
      summary: null,
      summary_source: 'failed',
      likely_cause: null,
      summary_error: 'LLM refused: "no"',
    });
    expect(readOutputLine(failed, 'line 1')).toMatchObject({
      summary_source: 'failed',
      summary_error: 'LLM refused: "no"',
    });
  });

  it.each([
    [
      'its own verdict fields',
      '{"ride_id":2,"ride_dist":1,"ride_time":1,"label":7,"anomaly":"yes","anomaly_score":"high"}',
    ],
    [
      'a verdict field written with escapes',
      '{"ride_id":2,"ride_dist":1,"ride_time":1,"lab\\u0065l":7}',
    ],
    ['a line break inside', '{"ride_id":2,\n"ride_dist":1,"ride_time":1}'],
  ])('replaces an input that carries %s, and the line stays readable', (_, text) => {
    const clustered = appendVerdict(undefined, text, anomalous);
    expect(clustered).not.toContain('\n');
    expect(readVerdict(clustered)).toEqual({ anomaly: true, score: 2.375 });
    const record = readOutputLine(appendSummary(clustered, summarized), 'line 1');
    expect(record.label).toBe(-1);
    expect(record.anomaly).toBe(true);
    expect(record.anomaly_score).toBe(2.375);
  });

  it('serializes rows that were not JSON text (CSV), and empty rows', () => {
    expect(appendVerdict({ ride_id: '3', ride_dist: 1 }, undefined, normal)).toBe(
      '{"ride_id":"3","ride_dist":1,"label":0,"anomaly":false,"anomaly_reasons":[],"anomaly_score":0.12}',
    );
    expect(appendVerdict({}, undefined, normal)).toBe(
      '{"label":0,"anomaly":false,"anomaly_reasons":[],"anomaly_score":0.12}',
    );
  });

  it('refuses a score that is not finite', () => {
    expect(() => appendVerdict({}, undefined, { ...normal, score: Number.NaN })).toThrow(
      'anomaly_score must be finite, got NaN',
    );
  });

  it('refuses a line without a verdict, naming its end', () => {
    expect(() => readVerdict('{"ride_id":4,"ride_dist":1}')).toThrow(
      'clustered line does not end with its labels: {"ride_id":4,"ride_dist":1}',
    );
  });

  it('refuses output lines whose typed fields are wrong, naming the field and value', () => {
    expect(() =>
      readOutputLine('{"ride_id":1,"ride_dist":"2","ride_time":1}', 'rides.jsonl line 9'),
    ).toThrow('rides.jsonl line 9: ride_dist must be a number, got "2"');
    expect(() => readOutputLine('{"ride_id":1', 'rides.jsonl line 9')).toThrow(
      'rides.jsonl line 9 is not JSON',
    );
  });
});
