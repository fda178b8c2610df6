import { randomBytes } from 'node:crypto';

/** Identifies one response in impressions, logs and traces. */
export function newRequestId(): string {
  return `req_${randomBytes(12).toString('base64url')}`;
}
