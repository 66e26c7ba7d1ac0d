/** The layers a value can come from (defaults < environment < flags), and typed, parsed access to them. */
import { ConfigError } from './errors.js';
import { OPTIONS, type OptionKey, type OptionValues, optionByFlag } from './options.js';
import { PARSERS, type RawValue } from './values.js';

export type Level = 'defaults' | 'env' | 'flags';
/** From the lowest precedence to the highest. */
export const LEVELS: readonly Level[] = ['defaults', 'env', 'flags'];

export type Layer = ReadonlyMap<string, RawValue>;
export type ValueOf<K extends OptionKey> = OptionValues[K];

/**
 * Reads `--name value`, `--name=value`, bare boolean `--name` and `--no-name`. Dots may stand for dashes
 * (`--web.config.file`, the spelling of the Prometheus exporters).
 */
export function parseFlags(argv: readonly string[]): Layer | 'help' | 'version' {
  const layer = new Map<string, RawValue>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--version' || arg === '-v') return 'version';
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)} (options start with --; see --help)`);
    const eq = arg.indexOf('=');
    let flag = eq === -1 ? arg : arg.slice(0, eq);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    let spec = optionByFlag(flag) ?? (flag.includes('.') ? optionByFlag(flag.replace(/\./g, '-')) : undefined);
    if (!spec && flag.startsWith('--no-')) {
      const positive = optionByFlag(`--${flag.slice(5)}`);
      if (positive?.kind === 'boolean' && value === undefined) {
        spec = positive;
        flag = `--${flag.slice(5)}`;
        value = 'false';
      }
    }
    if (!spec) throw new ConfigError(`unknown flag ${flag} (see --help)`);
    if (value === undefined) {
      const next = argv[i + 1];
      if (spec.kind === 'boolean') {
        value = 'true';
      } else if (next === undefined || next.startsWith('--')) {
        throw new ConfigError(`flag ${flag} needs a value (setting ${spec.key})`);
      } else {
        value = next;
        i++;
      }
    }
    layer.set(spec.key, { key: spec.key, value, origin: flag });
  }
  return layer;
}

export function readEnvironment(env: NodeJS.ProcessEnv): Layer {
  const layer = new Map<string, RawValue>();
  for (const spec of OPTIONS) {
    const name = spec.env.find((n) => env[n] !== undefined && env[n] !== '');
    if (name) layer.set(spec.key, { key: spec.key, value: env[name] ?? '', origin: name });
  }
  return layer;
}

const DEFAULTS: Layer = new Map(
  OPTIONS.flatMap((spec) =>
    'default' in spec && spec.default !== undefined ? [[spec.key, { key: spec.key, value: spec.default, origin: 'default' }]] : [],
  ),
);

export class Resolver {
  private readonly layers: Readonly<Record<Level, Layer>>;
  private readonly parsed = new Map<RawValue, unknown>();

  constructor(flags: Layer, env: Layer) {
    this.layers = { defaults: DEFAULTS, env, flags };
  }

  /** Parses every value given, so a bad one is refused at start even when nothing else would read it. */
  checkAll(): void {
    for (const level of LEVELS) for (const raw of this.layers[level].values()) this.parse(raw);
  }

  rawAt(level: Level, key: OptionKey): RawValue | undefined {
    return this.layers[level].get(key);
  }

  /** The value given at one level, parsed by its option's kind. */
  at<K extends OptionKey>(level: Level, key: K): ValueOf<K> | undefined {
    const raw = this.rawAt(level, key);
    return raw === undefined ? undefined : (this.parse(raw) as ValueOf<K>);
  }

  /** The value of the highest level that gives one. */
  get<K extends OptionKey>(key: K): ValueOf<K> | undefined {
    for (let i = LEVELS.length - 1; i >= 0; i--) {
      const value = this.at(LEVELS[i] ?? 'defaults', key);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  /** For options with a default. */
  required<K extends OptionKey>(key: K): ValueOf<K> {
    const value = this.get(key);
    if (value === undefined) throw new Error(`option ${key} has no default`);
    return value;
  }

  private parse(raw: RawValue): unknown {
    if (!this.parsed.has(raw)) {
      const spec = OPTIONS.find((o) => o.key === raw.key);
      if (!spec) throw new Error(`no option ${raw.key}`);
      this.parsed.set(raw, PARSERS[spec.kind](raw));
    }
    return this.parsed.get(raw);
  }
}
