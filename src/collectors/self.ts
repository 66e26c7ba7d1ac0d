/** The exporter's report on itself: is Dispatcharr's database reachable, and how did each collector do. */
import { counter, gauge, sample, type MetricFamily } from '../exposition/family.js';
import type { SkippedTotal } from '../scrape/skipped-values.js';
import type { Snapshot } from '../snapshot.js';
import type { CollectorOutcome } from './registry.js';

export function selfFamilies(snapshot: Snapshot, outcomes: readonly CollectorOutcome[]): MetricFamily[] {
  const live = snapshot.parts.live;
  return [
    gauge('dispatcharr_up', "Whether Dispatcharr's PostgreSQL database answered during this scrape (1 = yes, 0 = no)", [
      sample(snapshot.parts.database?.ok ? 1 : 0),
    ]),
    gauge(
      'dispatcharr_redis_up',
      "Whether Dispatcharr's Redis answered during this scrape (1 = yes, 0 = no)",
      live ? [sample(live.ok ? 1 : 0)] : [],
    ),
    gauge(
      'dispatcharr_exporter_redis_round_trips',
      'Network round trips to Redis during this scrape (SCAN pages plus pipelined batches)',
      live?.ok ? [sample(live.value.roundTrips)] : [],
    ),
    gauge(
      'dispatcharr_exporter_redis_keys',
      "Keys in Dispatcharr's Redis database during this scrape (DBSIZE)",
      live?.ok ? [sample(live.value.discovery.keyspace)] : [],
    ),
    gauge(
      'dispatcharr_exporter_live_discovery',
      'How this scrape found the live keys (1 for the route taken): scan walks the keyspace, direct asks after the channels the database knows',
      live?.ok ? (['scan', 'direct'] as const).map((mode) => sample(live.value.discovery.mode === mode ? 1 : 0, { mode })) : [],
    ),
    gauge(
      'dispatcharr_exporter_collector_success',
      'Whether the collector produced its families during this scrape (1 = yes, 0 = no)',
      outcomes.map((o) => sample(o.success ? 1 : 0, { collector: o.name })),
    ),
    gauge(
      'dispatcharr_exporter_collector_duration_seconds',
      'Seconds the collector took during this scrape, reading its data included',
      outcomes.map((o) => sample(o.seconds, { collector: o.name })),
    ),
  ];
}

/** Malformed values left out since the exporter started, one series per known source and reason (zeros included). */
export function skippedValuesFamily(totals: readonly SkippedTotal[]): MetricFamily {
  return counter(
    'dispatcharr_exporter_skipped_values_total',
    "Malformed values read from Dispatcharr's Redis or PostgreSQL and left out since the exporter started, by source and reason",
    totals.map((t) => sample(t.count, { source: t.source, reason: t.reason })),
  );
}
