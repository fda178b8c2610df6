import assert from 'node:assert/strict';
import type { eventsv1 } from '@feedmesh/contracts';
import { waitFor } from '@feedmesh/testing';
import { EventLogInspector } from '../support/event-log-inspector.js';
import { Mesh } from '../support/mesh.js';
import { PrivateRedis, type RedisUser } from '../support/private-redis.js';
import { chaosEvents } from './chaos-events.js';
import { countedLikes, likesPerPost } from './like-counts.js';

const GROUP = 'feature-store';
/** As in redis-restart.test.ts: the event log takes back an abandoned entry within 90 s. */
const DRAIN_TIMEOUT_MS = 150_000;
/** Kills tried until one finds entries pending for the killed consumer. */
const KILL_ATTEMPTS = 3;
/**
 * A Redis user that may do everything but acknowledge: a feature store logged in as it
 * applies every batch and can never settle one, so it is certain to be killed in the window
 * between its writes and its acknowledgement.
 */
const CANNOT_ACK: RedisUser = {
  name: 'cannot-ack',
  password: 'chaos-cannot-ack',
  rules: '+@all -xack',
};

describe('chaos: the feature store killed in the middle of a batch', function () {
  this.timeout(400_000);

  let redis: PrivateRedis | undefined;
  let mesh: Mesh | undefined;
  let inspector: EventLogInspector | undefined;
  const prefix = 'chaos-consumer';

  before(async function () {
    redis = await PrivateRedis.start({ users: [CANNOT_ACK] });
    mesh = await Mesh.start({ redisUrl: redis.url(), prefix, services: ['feature-store'] });
    inspector = new EventLogInspector(redis.url(), prefix);
  });

  after(async function () {
    await inspector?.close();
    await mesh?.stop();
    await redis?.destroy();
  });

  /** A blog with `posts` posts, then `likes` likes spread over them, in batches of 500. */
  function burst(name: string, posts: number, likes: number, atMs: number) {
    const targets = Array.from({ length: posts }, (_, i) => `${name}-target-${i}`);
    const setup = [
      chaosEvents.blogCreated(`${name}-blog`, atMs),
      ...targets.map((postId) => chaosEvents.postCreated(postId, `${name}-blog`, atMs, 'liked')),
    ];
    const likeEvents = Array.from({ length: likes }, (_, i) =>
      chaosEvents.like(`${name}-like-${i}`, `${name}-liker-${i}`, targets[i % posts]!, atMs),
    );
    return { targets, setup, likes: likeEvents };
  }

  async function publish(events: readonly eventsv1.Event[]): Promise<void> {
    for (let i = 0; i < events.length; i += 500) {
      await mesh!.gateway.publishEvents({ events: events.slice(i, i + 500) });
    }
  }

  it('reclaims the pending entries of a feature store killed mid-batch, losing no acknowledged like', async () => {
    const m = mesh!;
    const atMs = Date.now() - 1_000;
    const { targets, setup, likes } = burst('kill', 10, 6_000, atMs);
    await publish(setup);
    await inspector!.waitUntilDrained(30_000, [GROUP]);

    // Killed as soon as it holds a batch: delivered to it, not acknowledged. It may settle that
    // batch between the look and the kill (a batch takes milliseconds); then it is restarted
    // and killed again over the next third of the likes, at most three times.
    const published: eventsv1.Event[] = [];
    let pendingAtCrash = 0;
    let left = { pending: 0, undelivered: 0 };
    let crashedAt = 0;
    for (let attempt = 0; attempt < KILL_ATTEMPTS && left.pending === 0; attempt++) {
      if (attempt > 0) await m.restart('feature-store');
      const share = likes.length / KILL_ATTEMPTS;
      const part = likes.slice(attempt * share, (attempt + 1) * share);
      published.push(...part);
      await publish(part);
      pendingAtCrash = await waitFor(
        'the feature store to hold a batch',
        async () => {
          const { pending } = await inspector!.lag(GROUP);
          return pending > 0 ? pending : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 1 },
      );
      await m.crash('feature-store');
      crashedAt = Date.now();
      left = await inspector!.lag(GROUP);
    }
    await m.restart('feature-store');
    const drained = await inspector!.waitUntilDrained(DRAIN_TIMEOUT_MS, [GROUP]);

    const letters = await inspector!.deadLetters();
    assert.deepEqual(letters[GROUP] ?? [], [], 'nothing dead-lettered');
    const expected = likesPerPost(published);
    const counted = await countedLikes(m.address('feature-store'), targets, atMs);
    const lost = targets.filter((p) => counted.get(p)! < expected.get(p)! - 0.25);
    const extra = targets.reduce((sum, p) => sum + counted.get(p)! - expected.get(p)!, 0);
    console.log(
      `killed holding ${pendingAtCrash} pending (${left.pending} pending, ${left.undelivered} ` +
        `undelivered at the kill); drained ${((Date.now() - crashedAt) / 1000).toFixed(1)} s after ` +
        `the kill (${(drained.ms / 1000).toFixed(1)} s after the restart listened); likes counted ` +
        `beyond the ${published.length} acknowledged: ${extra.toFixed(2)}`,
    );
    assert.ok(left.pending > 0, 'entries were pending for the killed consumer');
    assert.deepEqual(lost, [], 'no acknowledged like is lost');
  });

  // Known bug (feature-store): a batch applied but not acknowledged is applied again in full
  // on redelivery, so decayed counters count it twice.
  it('counts every like once when killed between applying a batch and acknowledging it', async () => {
    const m = mesh!;
    const r = redis!;
    const atMs = Date.now() - 1_000;
    const { targets, setup, likes } = burst('window', 5, 500, atMs);
    await publish(setup);
    await inspector!.waitUntilDrained(30_000, [GROUP]);

    await m.crash('feature-store');
    await m.restart('feature-store', { REDIS_URL: r.url(CANNOT_ACK) });
    await publish(likes);
    const expected = likesPerPost(likes);
    // Every like applied, none acknowledged: the state the window between the two leaves.
    await waitFor(
      'the batch applied and not acknowledged',
      async () => {
        const counted = await countedLikes(m.address('feature-store'), targets, atMs);
        const applied = targets.every((p) => Math.abs(counted.get(p)! - expected.get(p)!) < 0.25);
        return applied && (await inspector!.lag(GROUP)).pending === likes.length;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    await m.crash('feature-store');
    await m.restart('feature-store');
    await inspector!.waitUntilDrained(DRAIN_TIMEOUT_MS, [GROUP]);

    const counted = await countedLikes(m.address('feature-store'), targets, atMs);
    assert.deepEqual(
      targets.map((p) => `${p}: ${counted.get(p)!.toFixed(2)}`),
      targets.map((p) => `${p}: ${expected.get(p)!.toFixed(2)}`),
      'likes counted per post after the redelivery',
    );
  });
});
