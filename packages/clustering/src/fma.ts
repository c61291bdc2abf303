/**
 * Fused multiply-add, round(a·b + c) with a single rounding, as the FMA instructions in BLAS
 * kernels compute it. JavaScript has no Math.fma, so this one works exactly in BigInt: slow, and
 * used only where scikit-learn's small-input path is reproduced (a few hundred calls).
 */
const view = new DataView(new ArrayBuffer(8));

/** v = mantissa · 2^exponent, exactly. */
function decompose(v: number): [bigint, number] {
  if (v === 0) return [0n, 0];
  view.setFloat64(0, v);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const biased = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  if (biased !== 0) mantissa |= 1n << 52n;
  const exponent = biased === 0 ? -1074 : biased - 1075;
  return [high >>> 31 ? -mantissa : mantissa, exponent];
}

export function fma(a: number, b: number, c: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c)) return a * b + c;
  const [ma, ea] = decompose(a);
  const [mb, eb] = decompose(b);
  const [mc, ec] = decompose(c);
  const productExponent = ea + eb;
  let exponent = Math.min(productExponent, ec);
  let sum = ((ma * mb) << BigInt(productExponent - exponent)) + (mc << BigInt(ec - exponent));
  if (sum === 0n) return a * b + c; // keeps the sign of zero IEEE gives
  const negative = sum < 0n;
  if (negative) sum = -sum;
  // Keep 62 significant bits plus a sticky bit, so Number() rounds once, correctly.
  const extra = sum.toString(2).length - 62;
  if (extra > 0) {
    const dropped = sum & ((1n << BigInt(extra)) - 1n);
    sum = (sum >> BigInt(extra)) | (dropped === 0n ? 0n : 1n);
    exponent += extra;
  }
  const magnitude = Number(sum) * 2 ** exponent;
  return negative ? -magnitude : magnitude;
}
