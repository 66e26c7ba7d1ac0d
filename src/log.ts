/** A small logfmt logger on stderr, in the style of the Prometheus exporters. */
import type { LogLevel } from './config/settings.js';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

function quote(value: string): string {
  return /^[^\s"=\\]+$/.test(value) ? value : JSON.stringify(value);
}

export function formatLogLine(level: LogLevel, msg: string, fields: LogFields, now: Date): string {
  const parts = [`time=${now.toISOString()}`, `level=${level}`, `msg=${quote(msg)}`];
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) parts.push(`${key}=${quote(String(value))}`);
  }
  return parts.join(' ');
}

export function createLogger(minimum: LogLevel, write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Logger {
  const at =
    (level: LogLevel) =>
    (msg: string, fields: LogFields = {}) => {
      if (RANK[level] >= RANK[minimum]) write(formatLogLine(level, msg, fields, new Date()));
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
