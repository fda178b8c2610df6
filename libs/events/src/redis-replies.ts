import { InternalError } from '@feedmesh/errors';

/** A stream entry as Redis returns it in Buffer mode: its id and its flat field list. */
export type RawEntry = readonly [id: Buffer, fields: Buffer[] | null];

/** The reply of a single-stream `XREADGROUP`: null, or `[[key, entries]]`. */
export function parseReadReply(reply: unknown): RawEntry[] {
  if (reply === null) return [];
  const [stream] = arrayOf(reply, 'XREADGROUP');
  const [, entries] = arrayOf(stream, 'XREADGROUP stream');
  return arrayOf(entries, 'XREADGROUP entries') as RawEntry[];
}

/** Entries as `XRANGE` returns them (and the redrive script). */
export function parseRangeReply(reply: unknown): RawEntry[] {
  return arrayOf(reply, 'XRANGE') as RawEntry[];
}

/** The reply of an `XREADGROUP` of several streams: null, or `[[key, entries], ...]`. */
export function parseStreamsReply(reply: unknown): { key: string; entries: RawEntry[] }[] {
  if (reply === null) return [];
  return arrayOf(reply, 'XREADGROUP').map((stream) => {
    const [key, entries] = arrayOf(stream, 'XREADGROUP stream');
    return { key: String(key), entries: arrayOf(entries, 'XREADGROUP entries') as RawEntry[] };
  });
}

/**
 * The reply of `XAUTOCLAIM` (Redis 7): `[next cursor, entries, deleted ids]`, the deleted ids
 * being pending entries no longer in the stream (trimmed), which it dropped from the pending
 * list.
 */
export function parseClaimReply(reply: unknown): {
  next: string;
  entries: RawEntry[];
  deleted: number;
} {
  const [next, entries, deleted] = arrayOf(reply, 'XAUTOCLAIM');
  return {
    next: String(next),
    entries: arrayOf(entries, 'XAUTOCLAIM entries') as RawEntry[],
    deleted: Array.isArray(deleted) ? deleted.length : 0,
  };
}

/** The reply of `XCLAIM` (without JUSTID): the claimed entries; nil for one deleted (Redis 6). */
export function parseClaimedEntries(reply: unknown): RawEntry[] {
  return arrayOf(reply, 'XCLAIM').filter((entry) => entry !== null) as RawEntry[];
}

/** The extended form of `XPENDING` (a range): each pending id with its delivery count. */
export function parsePendingList(reply: unknown): { id: string; deliveries: number }[] {
  return arrayOf(reply, 'XPENDING').map((entry) => {
    const [id, , , deliveries] = arrayOf(entry, 'XPENDING entry');
    return { id: String(id), deliveries: Number(deliveries) };
  });
}

/** The delivery count from `XPENDING key group id id 1`; undefined when the id is not pending. */
export function parsePendingDeliveries(reply: unknown): number | undefined {
  const [summary] = arrayOf(reply, 'XPENDING');
  if (summary === undefined) return undefined;
  return Number(arrayOf(summary, 'XPENDING entry')[3]);
}

export interface GroupInfo {
  readonly name: string;
  readonly pending: number;
  /** Null when Redis cannot compute it. */
  readonly lag: number | null;
  /** The id of the last entry delivered to the group (`0-0` before any). */
  readonly lastDeliveredId: string;
}

/** The reply of `XINFO GROUPS`: one flat `[field, value, ...]` list per group. */
export function parseGroupInfos(reply: unknown): GroupInfo[] {
  return arrayOf(reply, 'XINFO GROUPS').map((group) => {
    const fields = new Map<string, unknown>();
    const flat = arrayOf(group, 'XINFO GROUPS group');
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), flat[i + 1]);
    const lag = fields.get('lag');
    return {
      name: String(fields.get('name')),
      pending: Number(fields.get('pending')),
      lag: lag === null || lag === undefined ? null : Number(lag),
      lastDeliveredId: String(fields.get('last-delivered-id') ?? '0-0'),
    };
  });
}

/** The reply of `XINFO CONSUMERS`: each consumer's name and pending count. */
export function parseConsumerInfos(reply: unknown): { name: string; pending: number }[] {
  return arrayOf(reply, 'XINFO CONSUMERS').map((consumer) => {
    const fields = new Map<string, unknown>();
    const flat = arrayOf(consumer, 'XINFO CONSUMERS consumer');
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), flat[i + 1]);
    return { name: String(fields.get('name')), pending: Number(fields.get('pending')) };
  });
}

/** A flat `[name, value, ...]` field list as a map from name to value. */
export function fieldsOf(fields: readonly Buffer[] | null): Map<string, Buffer> {
  const byName = new Map<string, Buffer>();
  if (fields === null) return byName;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i];
    const value = fields[i + 1];
    if (name !== undefined && value !== undefined) byName.set(name.toString(), value);
  }
  return byName;
}

function arrayOf(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new InternalError(`unexpected ${what} reply from Redis`);
  return value;
}
