import { seededRandom } from '@etml/simulate';
import { describe, expect, it } from 'vitest';
import { dbscan } from './dbscan.ts';

// Random inputs, including duplicates and integer grids where distances land exactly on eps, so
// the fast engine is checked against the reference far beyond the fixed fixtures.
function randomCase(seed: number) {
  const random = seededRandom('dbscan-property', seed);
  const n = 1 + random.int(250);
  const integer = random.next() < 0.4;
  const spread = integer ? 1 + random.int(12) : 0.5 + random.next() * 6;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    if (i > 0 && random.next() < 0.1) {
      const j = random.int(i);
      x[i] = x[j] as number;
      y[i] = y[j] as number;
    } else if (integer) {
      x[i] = random.int(spread);
      y[i] = random.int(spread);
    } else {
      const centre = random.int(3);
      x[i] = centre * 2 + random.normal(0, spread / 4);
      y[i] = centre + random.normal(0, spread / 4);
    }
  }
  let eps = integer ? [1, 2, Math.SQRT2, 3][random.int(4)]! : 0.05 + random.next();
  // Now and then, coordinates far beyond what a grid of eps-sized cells can index, or an eps
  // far below the spacing of doubles.
  const extreme = random.next();
  if (extreme < 0.08) {
    for (let i = 0; i < n; i += 1) {
      x[i] = (x[i] as number) * 1e9;
      y[i] = (y[i] as number) * 1e9;
    }
    eps = 1e9 * eps * (random.next() < 0.5 ? 1 : 1e-9);
  } else if (extreme < 0.12) {
    eps = 1e-300;
  }
  const minSamples = 1 + random.int(8);
  return { x, y, params: { eps, minSamples } };
}

describe('fast engine against the density-clustering reference', () => {
  it('gives identical labels and core points on 400 random inputs', () => {
    for (let seed = 0; seed < 400; seed += 1) {
      const { x, y, params } = randomCase(seed);
      const fast = dbscan(x, y, params, 'fast');
      const reference = dbscan(x, y, params, 'density-clustering');
      expect({ seed, labels: Array.from(fast.labels) }).toEqual({
        seed,
        labels: Array.from(reference.labels),
      });
      expect({ seed, core: Array.from(fast.core) }).toEqual({
        seed,
        core: Array.from(reference.core),
      });
    }
  });
});
