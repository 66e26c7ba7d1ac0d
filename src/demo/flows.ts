/**
 * Data flowing at a rate that wanders around its nominal value: the rate at any moment and the bytes moved so
 * far, both closed-form in time, so counters grow smoothly between simulation steps and never go back.
 */

/** How far the rate wanders from its nominal value (±15 %), and how fast (one swing every five minutes). */
const SWING = 0.15;
const SWING_RADIANS_PER_SECOND = (2 * Math.PI) / 300;

export interface Flow {
  readonly bytesPerSecond: number;
  /** Where in its swing the flow started, in radians. */
  readonly phase: number;
}

/** Bytes per second `elapsed` seconds after the flow started. */
export function rateAt(flow: Flow, elapsed: number): number {
  return flow.bytesPerSecond * (1 + SWING * Math.sin(SWING_RADIANS_PER_SECOND * elapsed + flow.phase));
}

/** Bytes moved in the first `elapsed` seconds: the integral of rateAt, so always rising. */
export function bytesAfter(flow: Flow, elapsed: number): number {
  if (elapsed <= 0) return 0;
  const swing = (SWING / SWING_RADIANS_PER_SECOND) * (Math.cos(flow.phase) - Math.cos(SWING_RADIANS_PER_SECOND * elapsed + flow.phase));
  return Math.floor(flow.bytesPerSecond * (elapsed + swing));
}

/** Bytes per second of a video stream of `kbps` (1000 bits per second), with its audio and container on top. */
export function streamBytesPerSecond(kbps: number): number {
  return (kbps * 1000 * 1.06) / 8;
}
