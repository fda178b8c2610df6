import type { eventsv1 } from '@feedmesh/contracts';

/** Ids for what one run creates: events, posts, blogs. Unique across runs by the run tag. */
export class RunIds {
  private events = 0;
  private posts = 0;
  private blogs = 0;

  constructor(private readonly runTag: string) {}

  event(atMs: number, payload: eventsv1.Event['payload']): eventsv1.Event {
    this.events += 1;
    return { eventId: `${this.runTag}-e${this.events}`, atMs: Math.floor(atMs), payload };
  }

  post(): string {
    this.posts += 1;
    return `${this.runTag}-p${this.posts}`;
  }

  blog(): string {
    this.blogs += 1;
    return `${this.runTag}-b${this.blogs}`;
  }
}
