import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packt } from '@etml/fixtures';
import { describe, expect, it } from 'vitest';
import { dbscan } from './dbscan.ts';
import { standardize } from './standardize.ts';
import { ENGINES } from './types.ts';

interface OracleCase {
  name: string;
  standardize: boolean;
  eps: number;
  min_samples: number;
  x: number[];
  y: number[];
  mean?: [number, number];
  scale?: [number, number];
  scaled_x?: number[];
  scaled_y?: number[];
  labels: number[];
  core: number[];
}

const DIR = join(import.meta.dirname, '..', 'fixtures', 'sklearn');
const cases: OracleCase[] = readdirSync(DIR)
  .filter(f => f.endsWith('.json'))
  .sort()
  .map(f => JSON.parse(readFileSync(join(DIR, f), 'utf8')));

function scaled(c: OracleCase) {
  const x = Float64Array.from(c.x);
  const y = Float64Array.from(c.y);
  return c.standardize ? standardize(x, y) : { x, y, mean: undefined, scale: undefined };
}

describe('scikit-learn oracle fixtures', () => {
  it('covers the cases the fixtures promise', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    const names = cases.map(c => c.name).join(' ');
    for (const kind of [
      'packt',
      'seed-shape',
      'blobs',
      'ties',
      'border',
      'all-noise',
      'one-point',
      'zero-variance',
    ]) {
      expect(names).toContain(kind);
    }
  });

  describe.each(cases.filter(c => c.standardize))('StandardScaler on $name', c => {
    it('gives the same mean, scale and values, bit for bit', () => {
      const z = scaled(c);
      expect(z.mean).toEqual(c.mean);
      expect(z.scale).toEqual(c.scale);
      expect(Array.from(z.x)).toEqual(c.scaled_x);
      expect(Array.from(z.y)).toEqual(c.scaled_y);
    });
  });

  describe.each(ENGINES)('engine %s', engine => {
    it.each(cases)('reproduces labels_ and core samples for $name', c => {
      // The reference engine is O(N²) or worse; the larger cases would take seconds each.
      if (engine === 'density-clustering' && c.x.length > 2000) return;
      const z = scaled(c);
      const result = dbscan(z.x, z.y, { eps: c.eps, minSamples: c.min_samples }, engine);
      expect(Array.from(result.labels)).toEqual(c.labels);
      const core = [...result.core.keys()].filter(i => result.core[i] === 1);
      expect(core).toEqual(c.core);
    });
  });
});

describe("the book's own labels", () => {
  it('are what the fast engine gives the Packt CSV with eps 0.3 and min_samples 10', () => {
    const rows = readFileSync(packt.ridesCh01Csv, 'utf8').trim().split('\n').slice(1);
    const x = Float64Array.from(rows.map(r => Number(r.split(',')[0])));
    const y = Float64Array.from(rows.map(r => Number(r.split(',')[1])));
    const book: { label: number }[] = JSON.parse(readFileSync(packt.labelsCh01Json, 'utf8'));
    const z = standardize(x, y);
    const { labels } = dbscan(z.x, z.y, { eps: 0.3, minSamples: 10 });
    expect(Array.from(labels)).toEqual(book.map(r => r.label));
    expect(book.filter(r => r.label === -1)).toHaveLength(21);
  });
});
