/** Unit conversions shared by the collectors (DESIGN: kbps = 1000 bit/s, MiB = 1,048,576 bytes). */

export const BYTES_PER_MIB = 1_048_576;

/** Dispatcharr stores client rates in KiB/s; 1 KiB/s = 8 × 1024 / 1000 kbps. */
export const KIBPS_TO_KBPS = 8.192;

export const BITS_PER_KBIT = 1000;

/**
 * A computed value (a product or ratio of stored ones) to 12 significant digits, so float noise such as
 * 118.5 × 8.192 = 970.7520000000001 reads 970.752; stored values are never rounded.
 */
export function derived(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(12)) : value;
}
