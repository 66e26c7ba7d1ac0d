/** Unit conversions shared by the collectors (DESIGN: kbps = 1000 bit/s, MiB = 1,048,576 bytes). */

export const BYTES_PER_MIB = 1_048_576;

/** Dispatcharr stores client rates in KiB/s; 1 KiB/s = 8 × 1024 / 1000 kbps. */
export const KIBPS_TO_KBPS = 8.192;

export const BITS_PER_KBIT = 1000;
