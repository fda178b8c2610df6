import { randomBytes } from 'node:crypto';

const ID_BYTES = 12;
/** Random bytes for this many ids are drawn at once: one call into the CSPRNG, not one per feed. */
const POOLED_IDS = 256;
let pool = Buffer.alloc(0);
let next = 0;

/** Identifies one response in impressions, logs and traces. */
export function newRequestId(): string {
  if (next + ID_BYTES > pool.length) {
    pool = randomBytes(ID_BYTES * POOLED_IDS);
    next = 0;
  }
  const id = pool.toString('base64url', next, next + ID_BYTES);
  next += ID_BYTES;
  return `req_${id}`;
}
