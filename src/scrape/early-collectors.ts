/**
 * Runs each collector as soon as the parts it needs have been read, while the rest of the snapshot is still being
 * read, and hands the runs to the rendering of the finished snapshot. On a large installation the live streams' and
 * clients' collectors then run while PostgreSQL is still reading the programmes on air, instead of after it. A
 * collector is a pure function of its parts, the snapshot's time and the settings, so a run made early is the run
 * the finished snapshot would give. Collectors that need no part run with the finished snapshot: the core collector
 * reports the Dispatcharr version, known only then, and the process collector the process as it is at the end.
 *
 * Once collectors have run, the label texts of their families are made too, a slice at a time, in the turns the
 * event loop has nothing else to do (the rendering would otherwise make them after the last part is read).
 */
import { isEnabled, partsNeeded, type Collector } from '../collectors/collector.js';
import { type CollectorRun, runCollector } from '../collectors/registry.js';
import type { Settings } from '../config/settings.js';
import { LabelTexts } from '../exposition/label-texts.js';
import type { Logger } from '../log.js';
import type { Snapshot } from '../snapshot.js';

/** Label sets whose texts are made in one turn of the event loop: about half a millisecond. */
const TEXTS_PER_TURN = 500;

export class EarlyCollectors {
  private readonly runs = new Map<Collector, CollectorRun>();
  private readonly texts = new LabelTexts();
  private soFar: Snapshot | undefined;
  private scheduled = false;
  private preparing = false;
  private taken = false;

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

  /** The runs made so far; none are made after this, nor label texts. */
  take(): ReadonlyMap<Collector, CollectorRun> {
    this.taken = true;
    return this.runs;
  }

  /** The label texts made so far, for the rendering. */
  labelTexts(): LabelTexts {
    this.taken = true;
    return this.texts;
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
        this.texts.queue(run.families);
      }
    }
    if (!this.preparing) this.prepareTexts();
  }

  private prepareTexts(): void {
    this.preparing = !this.taken && this.texts.prepare(TEXTS_PER_TURN);
    if (this.preparing) setImmediate(() => this.prepareTexts());
  }
}
