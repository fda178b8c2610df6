import { UnavailableError } from '@feedmesh/errors';

/**
 * What Redis answers while it cannot serve rather than because of the command: loading its
 * data after a restart, failing over, a cluster without quorum, refusing writes it cannot
 * persist or hold.
 */
const TRANSIENT_REPLIES = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|MISCONF|OOM|READONLY)\b/;
/** ioredis's own words for a connection that is down or a command that got no answer. */
const CONNECTION_MESSAGES = /^(Connection is closed|Stream isn't writeable|Command timed out)/;
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Whether an error from an ioredis call says Redis could not be reached or could not serve
 * for now (the call may well succeed later), as opposed to one about the command or the data
 * (WRONGTYPE, a script's error), which retrying does not mend. An event handler that writes
 * to Redis reports the first kind as `UnavailableError` (see `asUnavailable`): its consumer
 * then retries the events once Redis answers, without counting them as failed deliveries.
 */
export function redisUnavailable(error: unknown): boolean {
  if (error instanceof UnavailableError) return true;
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  if (error.name === 'ReplyError') return TRANSIENT_REPLIES.test(error.message);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return CONNECTION_MESSAGES.test(error.message);
}

/** The error as an `UnavailableError` when `redisUnavailable` says so; otherwise unchanged. */
export function asUnavailable(error: unknown, what = 'redis'): unknown {
  if (error instanceof UnavailableError || !redisUnavailable(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new UnavailableError(what, message, { cause: error });
}
