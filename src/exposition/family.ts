/** The in-memory shape of one metric family, independent of any output format. */

export type MetricType = 'gauge' | 'counter';

/** Label names in insertion order; that order is kept on the wire. */
export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly Sample[];
  /** `python-float` writes integral values as `1001.0`, the way the seed printed Python floats. */
  readonly valueFormat?: 'python-float';
}

const NO_LABELS: Labels = Object.freeze({});

export function sample(value: number, labels: Labels = NO_LABELS): Sample {
  return { labels, value };
}

export function gauge(name: string, help: string, samples: readonly Sample[]): MetricFamily {
  return { name, help, type: 'gauge', samples };
}

export function counter(name: string, help: string, samples: readonly Sample[]): MetricFamily {
  return { name, help, type: 'counter', samples };
}
