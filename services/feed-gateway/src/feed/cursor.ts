import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from '@feedmesh/errors';

/**
 * What earlier pages served is remembered by id (the newest kept), so that the next page can
 * ask candidate-generation to skip those posts; these caps bound the cursor's size (ids are up
 * to 64 characters). Older posts of a long session are in the feature store's served list by
 * then (their impressions).
 */
const MAX_SERVED = 2_000;
const MAX_SERVED_CHARS = 32_000;
const MAC_BYTES = 16;

export interface CursorState {
  readonly userId: string;
  readonly surface: number;
  readonly tag: string;
  /** Position of the next page's first item. */
  readonly position: number;
  /** Ids of the posts earlier pages served and of the roots of those, oldest first. */
  readonly served: readonly string[];
}

/**
 * Opaque, signed feed cursors. The cursor carries what earlier pages served, so the next
 * page never repeats a post even before the impressions reach the feature store, and a
 * gateway replica needs no session state. The MAC rejects cursors this deployment did not
 * issue, and cursors of another user or surface.
 */
export class CursorCodec {
  constructor(private readonly secret: Buffer) {}

  encode(state: CursorState): string {
    const body = Buffer.from(
      JSON.stringify({
        u: state.userId,
        s: state.surface,
        t: state.tag,
        p: state.position,
        i: newest(state.served),
      }),
    );
    return `${body.toString('base64url')}.${this.mac(body).toString('base64url')}`;
  }

  decode(cursor: string, expected: { userId: string; surface: number; tag: string }): CursorState {
    const [bodyText, macText, extra] = cursor.split('.');
    if (!bodyText || !macText || extra !== undefined) throw notIssued();
    const body = Buffer.from(bodyText, 'base64url');
    const mac = Buffer.from(macText, 'base64url');
    if (mac.length !== MAC_BYTES || !timingSafeEqual(mac, this.mac(body))) throw notIssued();
    const parsed = JSON.parse(body.toString()) as {
      u: string;
      s: number;
      t: string;
      p: number;
      /** Served ids; a cursor issued when the gateway kept hashes (`h`) has none. */
      i?: string[];
    };
    if (
      parsed.u !== expected.userId ||
      parsed.s !== expected.surface ||
      parsed.t !== expected.tag
    ) {
      throw new InvalidArgumentError('cursor', 'was issued for another user, surface or tag');
    }
    return {
      userId: parsed.u,
      surface: parsed.s,
      tag: parsed.t,
      position: parsed.p,
      served: Array.isArray(parsed.i) ? parsed.i : [],
    };
  }

  private mac(body: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(body).digest().subarray(0, MAC_BYTES);
  }
}

function notIssued(): InvalidArgumentError {
  return new InvalidArgumentError(
    'cursor',
    'was not issued by this feed; pass next_cursor back unchanged',
  );
}

/** The newest served ids within the cursor's caps, oldest first. */
function newest(served: readonly string[]): readonly string[] {
  const oldest = Math.max(0, served.length - MAX_SERVED);
  let from = served.length;
  let chars = 0;
  while (from > oldest) {
    chars += served[from - 1]!.length + 3; // with its quotes and comma
    if (chars > MAX_SERVED_CHARS) break;
    from--;
  }
  return served.slice(from);
}
