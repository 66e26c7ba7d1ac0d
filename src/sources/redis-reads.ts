/**
 * The reads of Dispatcharr's live keys queued on a batch (redis-batch.ts), each with the module-level decoder that
 * makes a value of its reply and records what is malformed in it.
 */
import type { SkipRecorder } from '../skips.js';
import type { Fields } from '../snapshot.js';
import { fieldProblem } from './field-checks.js';
import { type Batch, Slot } from './redis-batch.js';
import { RespError, type RespValue } from './resp.js';

function toFields<F extends string>(names: readonly F[], reply: RespValue): Fields<F> | undefined {
  if (!Array.isArray(reply)) return undefined;
  const fields: { [K in F]?: string } = {};
  let any = false;
  for (let i = 0; i < names.length; i++) {
    const value = reply[i];
    if (typeof value === 'string') {
      fields[names[i] as F] = value;
      any = true;
    }
  }
  return any ? fields : undefined;
}

/** What a reply's decoder needs to know: the key read (to name it when its value is malformed) and where to say so. */
interface KeyRead {
  readonly key: string;
  readonly skips: SkipRecorder;
}

interface FieldsRead<F extends string> extends KeyRead {
  readonly names: readonly F[];
}

interface KeysRead {
  readonly keys: readonly string[];
  readonly skips: SkipRecorder;
}

/** A WRONGTYPE error: the key exists but holds another type than Dispatcharr writes there. */
function wrongType(reply: RespValue, key: string, skips: SkipRecorder): void {
  if (reply instanceof RespError && reply.message.startsWith('WRONGTYPE')) skips.add({ source: 'redis', reason: 'wrong_type', key });
}

/** Sorted, de-duplicated member ids of a client set. */
function memberIds(reply: RespValue, read: KeyRead): string[] {
  wrongType(reply, read.key, read.skips);
  if (!Array.isArray(reply)) return [];
  const ids = new Set<string>();
  for (const member of reply) if (typeof member === 'string') ids.add(member);
  return [...ids].sort();
}

function hashFields<F extends string>(reply: RespValue, read: FieldsRead<F>): Fields<F> | undefined {
  wrongType(reply, read.key, read.skips);
  return toFields(read.names, reply);
}

/** Values that are ids, by the id in their key name; a value that is not an id is recorded (a nil one expired). */
function numericMap(reply: RespValue, read: KeysRead & { readonly pattern: RegExp }): Record<string, number> {
  const map: Record<string, number> = {};
  if (!Array.isArray(reply)) return map;
  const { keys, pattern, skips } = read;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const id = pattern.exec(key)?.[1];
    const value = reply[i];
    if (id === undefined || typeof value !== 'string') continue;
    if (/^\d+$/.test(value.trim())) map[id] = Number(value.trim());
    else if (fieldProblem('id', value, 0)) skips.add({ source: 'redis', reason: 'not_an_id', key });
  }
  return map;
}

/** The `last_data` times, in the keys' order; a value that is not a time is recorded and left out. */
function lastDataTimes(reply: RespValue, read: KeysRead & { readonly now: number }): (string | undefined)[] {
  const { keys, now, skips } = read;
  const times: (string | undefined)[] = [];
  for (let i = 0; i < keys.length; i++) {
    const value = Array.isArray(reply) ? reply[i] : undefined;
    const problem = typeof value === 'string' ? fieldProblem('timestamp', value, now) : undefined;
    if (problem) skips.add({ source: 'redis', reason: problem, key: keys[i] as string });
    times.push(typeof value === 'string' && !problem ? value : undefined);
  }
  return times;
}

export function smembers(batch: Batch, key: string, skips: SkipRecorder): Slot<string[]> {
  return batch.add(['SMEMBERS', key], memberIds, { key, skips });
}

export function hmget<F extends string>(batch: Batch, key: string, names: readonly F[], skips: SkipRecorder): Slot<Fields<F> | undefined> {
  return batch.add(['HMGET', key, ...names], hashFields<F>, { key, names, skips });
}

export function mget(batch: Batch, keys: readonly string[], pattern: RegExp, skips: SkipRecorder): Slot<Record<string, number>> {
  return keys.length > 0 ? batch.add(['MGET', ...keys], numericMap, { keys, pattern, skips }) : Slot.of({});
}

/** The `last_data` times of the channels, in their order: one MGET. */
export function lastDataOf(batch: Batch, keys: readonly string[], now: number, skips: SkipRecorder): Slot<(string | undefined)[]> {
  return keys.length > 0 ? batch.add(['MGET', ...keys], lastDataTimes, { keys, now, skips }) : Slot.of([]);
}

export interface HashEntry<F extends string> {
  readonly id: string;
  readonly key: string;
  readonly fields: Slot<Fields<F> | undefined>;
}

/** The entries whose hash still exists (HMGET found at least one field). */
export function present<F extends string>(entries: readonly HashEntry<F>[]): { id: string; key: string; fields: Fields<F> }[] {
  const found: { id: string; key: string; fields: Fields<F> }[] = [];
  for (const { id, key, fields } of entries) {
    const value = fields.get();
    if (value) found.push({ id, key, fields: value });
  }
  return found;
}

/** Id and fields alone, without the key they were read from. */
export function idsAndFields<F extends string>(entries: readonly { id: string; fields: Fields<F> }[]): { id: string; fields: Fields<F> }[] {
  const out: { id: string; fields: Fields<F> }[] = [];
  for (const { id, fields } of entries) out.push({ id, fields });
  return out;
}
