const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A number written as plain decimal text ("1.5", "-2", "3e-4"), or undefined for anything else:
 * "", "NaN", "Infinity", "0x10", " 1". Stricter than Number(), which takes "" as 0.
 */
export function parseDecimal(text: string): number | undefined {
  return DECIMAL.test(text) ? Number(text) : undefined;
}
