import { commonv1, type eventsv1 } from '@feedmesh/contracts';

/** A LIKE by `userId`: the events of one user share a partition. */
export function like(eventId: string, userId: string, postId = 'post-1'): eventsv1.Event {
  return {
    eventId,
    atMs: 1_700_000_000_000,
    payload: {
      $case: 'engagement',
      value: { userId, postId, kind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE },
    },
  };
}

/** `count` likes `${prefix}0`, `${prefix}1`... by `userId`. */
export function likes(count: number, userId: string, prefix = 'e'): eventsv1.Event[] {
  return Array.from({ length: count }, (_, index) => like(`${prefix}${index}`, userId));
}

/**
 * Resolves once `condition` holds, polling every 10 ms; fails after `timeoutMs` with
 * `what` in the message. A liveness bound, not a performance assertion.
 */
export async function eventually(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A promise a test opens by hand: a handler awaits it to stay "in the middle" of an event. */
export class Gate {
  readonly opened: Promise<void>;
  readonly open: () => void;

  constructor() {
    let open = (): void => {};
    this.opened = new Promise((resolve) => {
      open = resolve;
    });
    this.open = open;
  }
}
