import { createHash } from 'node:crypto';

/** A seeded source of uniform and normal numbers (sfc32; Box-Muller for normals). */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  uniform(min: number, max: number): number;
  normal(mean: number, sd: number): number;
  int(maxExclusive: number): number;
}

export function seededRandom(...seedParts: (string | number)[]): Random {
  const digest = createHash('sha256').update(seedParts.join('\u0000')).digest();
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4_294_967_296;
  };
  for (let i = 0; i < 12; i += 1) next();
  let spare: number | undefined;
  return {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    int: maxExclusive => Math.floor(next() * maxExclusive),
    normal(mean, sd) {
      if (spare !== undefined) {
        const z = spare;
        spare = undefined;
        return mean + sd * z;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return mean + sd * r * Math.cos(2 * Math.PI * v);
    },
  };
}
