/** A Redis stream entry id: `ms-seq`, both unsigned 64-bit integers. */
const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;

export function isStreamId(text: string): boolean {
  return STREAM_ID.test(text);
}

/**
 * Negative when `a` comes before `b` in their stream, 0 for the same id, positive after. Both
 * parts compare as numbers (`9-0` before `10-0`), exactly: a sequence can outgrow a double.
 */
export function compareStreamIds(a: string, b: string): number {
  const [aMs, aSeq] = partsOf(a);
  const [bMs, bSeq] = partsOf(b);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1;
}

/** An id without its sequence (`5`) is `5-0`, as Redis reads it. */
function partsOf(id: string): [ms: bigint, seq: bigint] {
  const dash = id.indexOf('-');
  if (dash === -1) return [BigInt(id), 0n];
  return [BigInt(id.slice(0, dash)), BigInt(id.slice(dash + 1))];
}
