import { commonv1, type eventsv1 } from '@feedmesh/contracts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LIKE = commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE;

/**
 * A small hand-made world for the end-to-end test: every fact a test relies on is written
 * here, not drawn at random. alice owns `alice-art`, which reader follows; bob owns
 * `bob-cooks`; twelve established blogs post about art, food and travel and are liked by a
 * crowd, so popular has something to say; `newbie` is a blog created yesterday.
 */
export function smallWorld(now: number): eventsv1.Event[] {
  const events: eventsv1.Event[] = [];
  let n = 0;
  const add = (atMs: number, payload: eventsv1.Event['payload']) =>
    events.push({ eventId: `w-${n++}`, atMs, payload });
  const topics = ['art', 'food', 'travel'];

  add(now - 300 * DAY, {
    $case: 'blogCreated',
    value: { blogId: 'alice-art', ownerUserId: 'alice', name: 'alice-art', title: 'Alice draws' },
  });
  add(now - 300 * DAY, {
    $case: 'blogCreated',
    value: { blogId: 'bob-cooks', ownerUserId: 'bob', name: 'bob-cooks', title: 'Bob cooks' },
  });
  add(now - 1 * DAY, {
    $case: 'blogCreated',
    value: { blogId: 'newbie', ownerUserId: 'nina', name: 'newbie', title: 'Fresh' },
  });
  for (let b = 0; b < 12; b++) {
    add(now - (200 + b) * DAY, {
      $case: 'blogCreated',
      value: { blogId: `blog-${b}`, ownerUserId: `owner-${b}`, name: `blog-${b}`, title: '' },
    });
  }

  const post = (postId: string, blogId: string, tag: string, ageMs: number, text: string) =>
    add(now - ageMs, {
      $case: 'postCreated',
      value: {
        postId,
        blogId,
        text,
        tags: [tag],
        mediaKind: commonv1.MediaKind.MEDIA_KIND_TEXT,
        reblogOf: '',
      },
    });
  for (let i = 0; i < 8; i++)
    post(`alice-${i}`, 'alice-art', 'art', (10 + i) * HOUR, `Sketch number ${i} in charcoal`);
  for (let i = 0; i < 6; i++)
    post(`bob-${i}`, 'bob-cooks', 'food', (12 + i) * HOUR, `Recipe ${i}: slow roasted tomatoes`);
  for (let i = 0; i < 4; i++)
    post(`newbie-${i}`, 'newbie', 'travel', (2 + i) * HOUR, `First trip diary ${i}`);
  for (let b = 0; b < 12; b++) {
    for (let i = 0; i < 5; i++) {
      const tag = topics[(b + i) % topics.length]!;
      post(
        `blog-${b}-${i}`,
        `blog-${b}`,
        tag,
        (20 + b * 5 + i) * HOUR,
        `A post about ${tag}, part ${i}`,
      );
    }
  }

  for (const user of ['reader', 'bob'])
    add(now - 50 * DAY, { $case: 'follow', value: { userId: user, blogId: 'alice-art' } });
  for (let u = 0; u < 30; u++) {
    const user = `fan-${u}`;
    add(now - 2 * DAY, { $case: 'sessionStarted', value: { userId: user } });
    add(now - 2 * DAY, { $case: 'follow', value: { userId: user, blogId: `blog-${u % 12}` } });
    for (let k = 0; k < 6; k++) {
      const postId = `blog-${(u + k) % 12}-${(u * 7 + k) % 5}`;
      add(now - (3 + k) * HOUR, {
        $case: 'engagement',
        value: { userId: user, postId, kind: LIKE },
      });
    }
  }
  for (let i = 0; i < 4; i++)
    add(now - HOUR, {
      $case: 'engagement',
      value: { userId: 'reader', postId: `bob-${i}`, kind: LIKE },
    });
  add(now - HOUR, { $case: 'sessionStarted', value: { userId: 'reader' } });
  return events.sort((a, b) => a.atMs - b.atMs);
}
