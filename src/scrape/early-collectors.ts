/**
 * Runs each collector as soon as the parts it needs have been read, while the rest of the snapshot is still being
 * read, and hands the runs to the rendering of the finished snapshot. On a large installation the live streams' and
 * clients' collectors then run while PostgreSQL is still reading the programmes on air, instead of after it. A
 * collector is a pure function of its parts, the snapshot's time and the settings, so a run made early is the run
 * the finished snapshot would give. Collectors that need no part run with the finished snapshot: the core collector
 * reports the Dispatcharr version, known only then, and the process collector the process as it is at the end.
 *
 * Once collectors have run, their families are rendered too, each collector's alone, a slice at a time in the turns
 * the event loop has nothing else to do: the rendering of the finished snapshot takes them as they are (see
 * PreRendered) instead of writing them after the last part is read.
 */
import { isEnabled, partsNeeded, type Collector } from '../collectors/collector.js';
import { type CollectorRun, runCollector } from '../collectors/registry.js';
import type { Settings } from '../config/settings.js';
import { LabelTexts } from '../exposition/label-texts.js';
import { type Ahead, PreRendered } from '../exposition/render.js';
import type { Logger } from '../log.js';
import type { Snapshot } from '../snapshot.js';
import type { MetricFamily } from '../exposition/family.js';

/**
 * Samples a collector's families need before they are rendered ahead. A part takes a 64 KiB buffer of its own, and
 * its last one partly filled: worth it for the few large collectors (streams, clients), not for a family of a few
 * lines, nor for a small installation, whose whole body fits one buffer.
 */
const AHEAD_MIN_SAMPLES = 512;

function sampleCount(families: readonly MetricFamily[]): number {
  let n = 0;
  for (const family of families) n += family.samples.length;
  return n;
}

export class EarlyCollectors {
  private readonly runs = new Map<Collector, CollectorRun>();
  private readonly texts = new LabelTexts();
  private readonly parts: PreRendered[] = [];
  /** The part being rendered ahead. */
  private next = 0;
  private soFar: Snapshot | undefined;
  private scheduled = false;
  private rendering = false;
  private taken = false;
  private handedOver = false;

  constructor(
    private readonly collectors: readonly Collector[],
    private readonly settings: Settings,
    private readonly logger: Logger,
  ) {}

  /**
   * A part has been read. The collectors it completes run at the next turn of the event loop, so the reads that
   * waited for this part are sent first.
   */
  partRead(soFar: Snapshot): void {
    this.soFar = soFar;
    if (this.scheduled || this.taken) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.runReady();
    });
  }

  /** The runs made so far; none are made after this, nor rendered ahead. */
  take(): ReadonlyMap<Collector, CollectorRun> {
    this.taken = true;
    return this.runs;
  }

  /**
   * What was rendered ahead, for one rendering of the finished snapshot: its buffers go to that rendering, so a later
   * one gets nothing.
   */
  ahead(): Ahead | undefined {
    this.taken = true;
    if (this.handedOver) return undefined;
    this.handedOver = true;
    return { texts: this.texts, parts: this.parts };
  }

  private runReady(): void {
    const soFar = this.soFar;
    if (this.taken || soFar === undefined) return;
    for (const collector of this.collectors) {
      if (this.runs.has(collector) || !isEnabled(collector, this.settings)) continue;
      const needs = partsNeeded(collector, this.settings);
      if (needs.length > 0 && needs.every((part) => part in soFar.parts)) {
        const run = runCollector(collector, soFar, this.settings, this.logger);
        this.runs.set(collector, run);
        if (sampleCount(run.families) >= AHEAD_MIN_SAMPLES) this.parts.push(new PreRendered(run.families, this.texts));
      }
    }
    if (!this.rendering) this.renderAhead();
  }

  /** Renders a slice of the next part, then lets the event loop turn: a part read meanwhile is handled first. */
  private renderAhead(): void {
    const part = this.parts[this.next];
    this.rendering = !this.taken && part !== undefined;
    if (!this.rendering) return;
    if (!part?.step()) this.next++;
    setImmediate(() => this.renderAhead());
  }
}
