/**
 * A strict reader of the text exposition format for assertions: it rejects interleaved families,
 * samples before their TYPE line, bad escapes and duplicate series.
 */

export interface ParsedSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: string;
}

export interface ParsedFamily {
  readonly name: string;
  help: string;
  type: string;
  readonly samples: ParsedSample[];
}

function readLabels(text: string, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 0;
  if (text[i] !== '{') return { labels, rest: text };
  i++;
  while (text[i] !== '}') {
    const nameMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (!nameMatch) throw new Error(`bad label name in: ${line}`);
    const name = nameMatch[0];
    i += name.length;
    if (text.slice(i, i + 2) !== '="') throw new Error(`expected =" in: ${line}`);
    i += 2;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (c === '"') break;
      if (c === '\\') {
        const next = text[i + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else throw new Error(`bad escape \\${next} in: ${line}`);
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    i++;
    if (name in labels) throw new Error(`repeated label ${name} in: ${line}`);
    labels[name] = value;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`expected , or } in: ${line}`);
  }
  return { labels, rest: text.slice(i + 1) };
}

export function parseExposition(text: string): Map<string, ParsedFamily> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('exposition does not end with a line feed');
  const families = new Map<string, ParsedFamily>();
  const seen = new Set<string>();
  let current: ParsedFamily | undefined;
  for (const line of text.split('\n').slice(0, -1)) {
    if (line === '') throw new Error('empty line in exposition');
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name = '', rest = ''] = meta;
      if (current?.name !== name) {
        if (families.has(name)) throw new Error(`family ${name} is not contiguous`);
        current = { name, help: '', type: '', samples: [] };
        families.set(name, current);
      }
      if (kind === 'HELP') current.help = rest;
      else current.type = rest;
      continue;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) throw new Error(`bad line: ${line}`);
    const name = nameMatch[0];
    if (!current || current.name !== name) throw new Error(`sample ${name} outside its family block`);
    if (!current.type || !current.help) throw new Error(`family ${name} has samples before HELP and TYPE`);
    const { labels, rest } = readLabels(line.slice(name.length), line);
    const value = rest.replace(/^ /, '');
    if (!/^(NaN|[+-]Inf|[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)$/.test(value)) throw new Error(`bad value in: ${line}`);
    const key = `${name}${JSON.stringify(labels)}`;
    if (seen.has(key)) throw new Error(`duplicate series: ${line}`);
    seen.add(key);
    current.samples.push({ name, labels, value });
  }
  return families;
}

/** The value of the one sample of `family` whose labels include `match`. */
export function sampleValue(families: Map<string, ParsedFamily>, family: string, match: Record<string, string> = {}): number | undefined {
  const samples = families.get(family)?.samples.filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v)) ?? [];
  if (samples.length > 1) throw new Error(`${samples.length} samples of ${family} match ${JSON.stringify(match)}`);
  return samples[0] === undefined ? undefined : Number(samples[0].value);
}
