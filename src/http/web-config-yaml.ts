/** Shared pieces of the web configuration parser: its error, and checked access to the YAML document. */

export class WebConfigError extends Error {
  override readonly name = 'WebConfigError';
  /** The files read before the problem was found (the configuration file first), to notice when one is fixed. */
  files: readonly string[] = [];
}

/** exporter-toolkit keys this exporter does not implement, with what to do instead. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  rate_limit: 'not supported by this exporter (it caps scrapes in flight with --max-requests)',
  'tls_server_config.client_allowed_sans': 'not supported by this exporter (give the clients certificates of their own CA instead)',
};

export type YamlMap = Record<string, unknown>;

export function isMap(value: unknown): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A mapping, or an empty one for an empty value (`key:` with nothing after it, as YAML allows). */
export function mapping(value: unknown, where: string): YamlMap {
  if (value === null || value === undefined) return {};
  if (!isMap(value)) throw new WebConfigError(`${where} must be a mapping of keys to values`);
  return value;
}

export function checkKeys(map: YamlMap, allowed: readonly string[], prefix: string): void {
  for (const key of Object.keys(map)) {
    if (allowed.includes(key)) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    const reason = UNSUPPORTED[path];
    throw new WebConfigError(reason ? `${path} is ${reason}` : `unknown key ${path}${prefix ? '' : ' at the top level'}`);
  }
}

export function optionalString(map: YamlMap, key: string, where: string): string | undefined {
  const value = map[key];
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new WebConfigError(`${where}.${key} must be a string`);
  return value;
}

/** Whether a text holds a control character (CR and LF would split a header). */
export function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

export interface Reader {
  readonly dir: string;
  readonly files: string[];
  read(path: string): string;
}
