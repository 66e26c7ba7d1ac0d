/**
 * The list of collectors in output order, and the loop that runs them. A collector whose parts could
 * not be read, or that throws, reports success 0 and contributes no families; the others still do.
 */
import type { Settings } from '../config/settings.js';
import type { MetricFamily } from '../exposition/family.js';
import type { Logger } from '../log.js';
import type { PartName, Snapshot } from '../snapshot.js';
import { channelsCollector } from './channels.js';
import { type Collector, isEnabled, partsNeeded } from './collector.js';
import { coreCollector, type ExporterIdentity } from './core.js';
import { epgCollector } from './epg.js';
import { eventsCollector } from './events.js';
import { liveCountsCollector } from './live-counts.js';
import { m3uCollector } from './m3u.js';
import { clientsCollector } from './clients.js';
import { profileConnectionsCollector } from './profile-connections.js';
import { profilesCollector } from './profiles.js';
import { programmingCollector } from './programming.js';
import { streamActivityCollector } from './stream-activity.js';
import { streamsCollector } from './streams.js';
import { usersCollector, userStreamsCollector } from './users.js';
import { vodCollector } from './vod.js';
import { errorMessage } from '../error-message.js';

export function defaultCollectors(identity: ExporterIdentity): Collector[] {
  return [
    coreCollector(identity),
    m3uCollector,
    epgCollector,
    channelsCollector,
    profilesCollector,
    profileConnectionsCollector,
    streamActivityCollector,
    streamsCollector,
    programmingCollector,
    clientsCollector,
    usersCollector,
    userStreamsCollector,
    vodCollector,
    eventsCollector,
    liveCountsCollector,
  ];
}

export interface CollectorOutcome {
  readonly name: string;
  readonly success: boolean;
  /** Time spent reading the parts it needs plus building its families. */
  readonly seconds: number;
  /** Why it failed. */
  readonly error?: string;
}

export function neededParts(collectors: readonly Collector[], settings: Settings): Set<PartName> {
  const parts = new Set<PartName>();
  for (const collector of collectors) {
    if (isEnabled(collector, settings)) for (const part of partsNeeded(collector, settings)) parts.add(part);
  }
  return parts;
}

/** What one collector made of a snapshot. */
export interface CollectorRun {
  readonly families: readonly MetricFamily[];
  readonly outcome: CollectorOutcome;
}

export function runCollector(collector: Collector, snapshot: Snapshot, settings: Settings, logger: Logger): CollectorRun {
  let readSeconds = 0;
  for (const part of partsNeeded(collector, settings)) readSeconds += snapshot.parts[part]?.seconds ?? 0;
  const started = performance.now();
  try {
    const families = collector.collect(snapshot, settings);
    return { families, outcome: { name: collector.name, success: true, seconds: readSeconds + (performance.now() - started) / 1000 } };
  } catch (error) {
    const message = errorMessage(error);
    // Every failure at debug level; the scraper warns once when a collector starts failing.
    logger.debug('collector failed', { collector: collector.name, error: message });
    const seconds = readSeconds + (performance.now() - started) / 1000;
    return { families: [], outcome: { name: collector.name, success: false, seconds, error: message } };
  }
}

/**
 * Runs the enabled collectors in order. `ready`: runs made already of the same snapshot's parts (while the rest was
 * still being read), used instead of running those collectors again.
 */
export function runCollectors(
  collectors: readonly Collector[],
  snapshot: Snapshot,
  settings: Settings,
  logger: Logger,
  ready?: ReadonlyMap<Collector, CollectorRun>,
): { families: MetricFamily[]; outcomes: CollectorOutcome[] } {
  const families: MetricFamily[] = [];
  const outcomes: CollectorOutcome[] = [];
  for (const collector of collectors) {
    if (!isEnabled(collector, settings)) continue;
    const run = ready?.get(collector) ?? runCollector(collector, snapshot, settings, logger);
    families.push(...run.families);
    outcomes.push(run.outcome);
  }
  return { families, outcomes };
}
