import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from '@feedmesh/errors';

/** Posts earlier pages served are remembered as 32-bit hashes; this caps the cursor's size. */
const MAX_SERVED = 2_000;
const MAC_BYTES = 16;

export interface CursorState {
  readonly userId: string;
  readonly surface: number;
  readonly tag: string;
  /** Position of the next page's first item. */
  readonly position: number;
  readonly served: readonly number[];
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
    const served = state.served.slice(-MAX_SERVED);
    const body = Buffer.from(
      JSON.stringify({
        u: state.userId,
        s: state.surface,
        t: state.tag,
        p: state.position,
        h: served,
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
      h: number[];
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
      served: parsed.h,
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

/** FNV-1a, 32 bits: a compact, stable fingerprint of a post id. */
export function postHash(postId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < postId.length; i++) {
    hash ^= postId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
