/** Unit conversions shared by the collectors (DESIGN: kbps = 1000 bit/s, MiB = 1,048,576 bytes). */

export const BYTES_PER_MIB = 1_048_576;

/** Dispatcharr stores client rates in KiB/s; 1 KiB/s = 8 × 1024 / 1000 kbps. */
export const KIBPS_TO_KBPS = 8.192;

export const BITS_PER_KBIT = 1000;

const SIGNIFICANT_DIGITS = 12;
/** 10^0 to 10^22: the powers of ten a double holds exactly. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);
/**
 * How near to a half the scaled value's fraction may come before its rounding is left to toPrecision: the product
 * that scales a value to 12 integer digits (under 2^40) is off by at most 2^-14, far less than this.
 */
const TIE_MARGIN = 1e-3;

/**
 * A computed value (a product or ratio of stored ones) to 12 significant digits, so float noise such as
 * 118.5 × 8.192 = 970.7520000000001 reads 970.752; stored values are never rounded. Exactly
 * `Number(value.toPrecision(12))`, which a large installation asks for thousands of times a scrape; most values take
 * a path in plain arithmetic that gives the same number at a fraction of the cost (see `roundedByArithmetic`).
 */
export function derived(value: number): number {
  if (!Number.isFinite(value)) return value;
  return roundedByArithmetic(value) ?? Number(value.toPrecision(SIGNIFICANT_DIGITS));
}

/**
 * The value to 12 significant digits, or undefined where arithmetic alone cannot be sure of toPrecision's result.
 * Scaled by an exact power of ten to 12 integer digits, the value rounds to the integer toPrecision would write
 * unless it lies next to a half; dividing that integer by the same power gives the double nearest to the decimal
 * toPrecision writes, which is the double Number reads back from it. Values whose scale would not be an exact power
 * (from 10^12 up, under 10^-11), zero, and scales the logarithm misjudged by one (the integer is then not 12 digits
 * long) go to toPrecision.
 */
function roundedByArithmetic(value: number): number | undefined {
  const magnitude = Math.abs(value);
  const scale = EXACT_POWERS_OF_TEN[SIGNIFICANT_DIGITS - 1 - Math.floor(Math.log10(magnitude))];
  if (scale === undefined) return undefined;
  const scaled = magnitude * scale;
  const whole = Math.floor(scaled);
  if (Math.abs(scaled - whole - 0.5) < TIE_MARGIN) return undefined;
  const digits = Math.round(scaled);
  if (digits < 1e11 || digits > 1e12) return undefined;
  const rounded = digits / scale;
  return value < 0 ? -rounded : rounded;
}
