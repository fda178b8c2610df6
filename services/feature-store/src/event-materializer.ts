import type { eventsv1 } from '@feedmesh/contracts';
import type { BatchFailure } from '@feedmesh/events';
import { factOf, type EventFact } from './event-facts.js';
import type { FeatureStore, ParkedEngagement, PostMeta, Prefetched } from './feature-store.js';
import { relationOutcome } from './relation-rules.js';
import {
  ENGAGEMENT_RULES,
  ownSignals,
  receivedSignals,
  type EngagementRule,
} from './update-rules.js';
import { WritePlanBuilder } from './write-plan-builder.js';

type Fact<K extends EventFact['kind']> = Extract<EventFact, { kind: K }>;

/**
 * Turns events of the log into store writes, a batch at a time: one prefetch (the metas,
 * parked engagements and relations the batch depends on), one write (every entity the batch
 * touches, each once, its events folded together), and, only when another consumer raced
 * this one between the two, a small correcting write.
 *
 * Times come from the events' `at_ms`, never the wall clock, and every write folds its events
 * in by that time, so replaying the log (in any interleaving of its partitions, in batches of
 * any size) builds the same state. The consumer runner skips the `event_id`s its group
 * already applied; a batch that fails midway is delivered again whole, and its events may
 * then count twice, as the log's at-least-once delivery allows.
 */
export class FeatureMaterializer {
  constructor(private readonly store: FeatureStore) {}

  /** Applies one event; throws what a batch would report for it. */
  async apply(event: eventsv1.Event): Promise<void> {
    const [failure] = await this.applyBatch([event]);
    if (failure !== undefined) throw failure.error;
  }

  /**
   * Applies the events it can make sense of, and reports the others (by index) with the
   * `InvalidArgumentError` naming the field at fault. A store failure throws: nothing of the
   * batch is known to be applied.
   */
  async applyBatch(events: readonly eventsv1.Event[]): Promise<BatchFailure[]> {
    const failures: BatchFailure[] = [];
    const facts: EventFact[] = [];
    events.forEach((event, index) => {
      try {
        const fact = factOf(event);
        if (fact !== undefined) facts.push(fact);
      } catch (error) {
        failures.push({ index, error });
      }
    });
    if (facts.length > 0) await new BatchMaterialization(this.store, facts).run();
    return failures;
  }
}

/** One batch's materialization: prefetch, plan, write, correct. */
class BatchMaterialization {
  private readonly builder = new WritePlanBuilder();
  /** Metas the batch knows: prefetched, or created by a PostCreated in it. */
  private readonly metas = new Map<string, PostMeta>();
  /** Posts whose PostCreated this batch expects to store the meta of, with when. */
  private readonly creating = new Map<string, { meta: PostMeta; atMs: number }>();
  /** By (user, relation, blog): the score prefetched, and the one this batch leaves. */
  private readonly relations = new Map<string, { score: number | undefined; predicted: number }>();

  constructor(
    private readonly store: FeatureStore,
    private readonly facts: readonly EventFact[],
  ) {}

  async run(): Promise<void> {
    const prefetched = await this.prefetch();
    for (const fact of this.facts) this.plan(fact, prefetched);
    this.planFollowerCounts();
    const outcome = await this.store.write(this.builder.build());
    await this.correct(outcome);
  }

  private of<K extends EventFact['kind']>(kind: K): Fact<K>[] {
    return this.facts.filter((fact): fact is Fact<K> => fact.kind === kind);
  }

  private async prefetch(): Promise<Prefetched> {
    const created = [...new Set(this.of('post_created').map((fact) => fact.postId))];
    const engaged = this.of('engagement').map((fact) => fact.postId);
    const relationKeys = new Map<
      string,
      { userId: string; relation: 'following' | 'blocked'; blogId: string }
    >();
    for (const { userId, relation, blogId } of this.of('relation')) {
      relationKeys.set(relationKey(userId, relation, blogId), { userId, relation, blogId });
    }
    const relations = [...relationKeys.values()];
    const prefetched = await this.store.prefetch({
      metas: [...new Set([...created, ...engaged])],
      // A post whose meta turns out stored has nothing parked: reading its empty list is
      // cheaper than a round trip to learn which posts those are.
      parked: created,
      relations,
    });
    for (const [postId, meta] of prefetched.metas) this.metas.set(postId, meta);
    [...relationKeys.keys()].forEach((key, i) => {
      const score = prefetched.relationScores[i];
      this.relations.set(key, { score, predicted: score ?? Number.NaN });
    });
    // The first PostCreated of a post without a stored meta creates it; its meta serves
    // every engagement of the batch, wherever it sits in the batch.
    for (const { postId, meta, atMs } of this.of('post_created')) {
      if (this.metas.has(postId)) continue;
      this.metas.set(postId, meta);
      this.creating.set(postId, { meta, atMs });
    }
    return prefetched;
  }

  private plan(fact: EventFact, prefetched: Prefetched): void {
    const { builder } = this;
    switch (fact.kind) {
      case 'post_created': {
        const { postId, atMs, meta } = fact;
        const post = builder.post(postId);
        post.delta
          .mergeAttribute('created_at', atMs)
          .mergeAttribute('tag_count', meta.tags.length)
          .mergeAttribute('text_length', fact.textLength)
          .mergeAttribute('is_reblog', meta.reblogOf === '' ? 0 : 1);
        const creation = this.creating.get(postId);
        if (creation === undefined || post.create !== undefined) return;
        const parked = dedupe(prefetched.parked.get(postId) ?? []);
        post.create = {
          meta: creation.meta,
          parkedRead: prefetched.parked.get(postId)?.length ?? 0,
        };
        // Only the write that stores the meta counts the post for its blog: a redelivered
        // PostCreated must not count it twice.
        builder.blog(creation.meta.blogId).addSignal('post', 1, creation.atMs);
        for (const engagement of parked) joinParked(builder, engagement, creation.meta);
        return;
      }
      case 'post_deleted':
        builder.post(fact.postId).delta.mergeAttribute('deleted', 1);
        return;
      case 'blog_created': {
        builder.blog(fact.blogId).mergeAttribute('created_at', fact.atMs);
        if (fact.ownerId === '') return;
        this.active(fact.ownerId, fact.atMs);
        builder.touch(fact.ownerId, 'owned_blogs', fact.blogId, fact.atMs);
        return;
      }
      case 'engagement': {
        const { userId, postId, atMs, rule } = fact;
        const post = builder.post(postId);
        const user = this.active(userId, atMs);
        for (const signal of ownSignals(rule)) {
          post.delta.addSignal(signal, 1, atMs);
          user.delta.addSignal(signal, 1, atMs);
        }
        builder.touch(userId, rule.set, postId, atMs);
        const meta = this.metas.get(postId);
        if (meta !== undefined) {
          join(builder, userId, rule, atMs, meta);
        } else {
          const { eventId, engagementKind: kind } = fact;
          post.park.push({ eventId, userId, kind, atMs });
        }
        return;
      }
      case 'relation': {
        const { userId, relation, blogId, atMs, active } = fact;
        this.active(userId, atMs).relations.push({
          relation,
          blogId,
          atMs,
          active,
          ...(relation === 'following' ? { countedIn: 'follows' as const } : {}),
        });
        const known = this.relations.get(relationKey(userId, relation, blogId))!;
        const stored = Number.isNaN(known.predicted) ? undefined : known.predicted;
        const { score } = relationOutcome(stored, atMs, active);
        if (score !== undefined) known.predicted = score;
        return;
      }
      case 'impression': {
        const { userId, postId, atMs } = fact;
        builder.post(postId).delta.addSignal('impression', 1, atMs);
        this.active(userId, atMs).delta.addSignal('impression', 1, atMs);
        builder.touch(userId, 'served', postId, atMs);
        return;
      }
      case 'session': {
        const { userId, atMs } = fact;
        this.active(userId, atMs)
          .delta.addSignal('session', 1, atMs)
          .mergeAttribute('last_session_at', atMs);
        return;
      }
    }
  }

  /**
   * A follow's effect on its blog's follower count is written with the batch, predicted from
   * the relation as prefetched; the user's write reports what it did, and `correct` makes up
   * any difference (another consumer changed the relation in between).
   */
  private planFollowerCounts(): void {
    for (const [key, { score, predicted }] of this.relations) {
      const [, relation, blogId] = key.split('\u0000') as [string, string, string];
      if (relation !== 'following') continue;
      const change = isActive(predicted) - isActive(score);
      if (change !== 0) this.builder.blog(blogId).mergeAttribute('followers', change);
    }
  }

  /** Every event of a user marks them active (and known) at its time. */
  private active(userId: string, atMs: number) {
    const user = this.builder.user(userId);
    user.delta.mergeAttribute('last_active_at', atMs);
    return user;
  }

  /** Makes up for what another consumer changed between this batch's prefetch and write. */
  private async correct(outcome: Awaited<ReturnType<FeatureStore['write']>>): Promise<void> {
    const corrections = new WritePlanBuilder();
    for (const [postId, written] of outcome.posts) {
      const creation = this.creating.get(postId);
      if (creation !== undefined && written.created === false) {
        // Another delivery stored the meta first: it counted the post for the blog.
        corrections.blog(creation.meta.blogId).addSignal('post', -1, creation.atMs);
      }
      if (creation !== undefined && written.parkedSince.length > 0) {
        for (const engagement of dedupe(written.parkedSince)) {
          joinParked(corrections, engagement, creation.meta);
        }
      }
      if (written.meta !== undefined) {
        // The post was created meanwhile: what this batch meant to park joins it now.
        const parked = this.builder.post(postId).park;
        for (const engagement of parked) joinParked(corrections, engagement, written.meta);
      }
    }
    const made = new Map<string, number>();
    for (const [userId, deltas] of outcome.relationDeltas) {
      this.builder.user(userId).relations.forEach(({ relation, blogId }, i) => {
        const key = relationKey(userId, relation, blogId);
        made.set(key, (made.get(key) ?? 0) + (deltas[i] ?? 0));
      });
    }
    for (const [key, { score, predicted }] of this.relations) {
      const [, relation, blogId] = key.split('\u0000') as [string, string, string];
      if (relation !== 'following') continue;
      const expected = isActive(predicted) - isActive(score);
      const change = made.get(key) ?? 0;
      if (change !== expected)
        corrections.blog(blogId).mergeAttribute('followers', change - expected);
    }
    if (!corrections.isEmpty) await this.store.write(corrections.build());
  }
}

/** The parts of an engagement that need its post's blog and tags. */
function join(
  builder: WritePlanBuilder,
  userId: string,
  rule: EngagementRule,
  atMs: number,
  meta: PostMeta,
): void {
  const blog = builder.blog(meta.blogId);
  const userBlog = builder.userBlog(userId, meta.blogId);
  for (const signal of receivedSignals(rule)) {
    blog.addSignal(signal, 1, atMs);
    userBlog.addSignal(signal, 1, atMs);
  }
  userBlog.addSignal('affinity', rule.affinity, atMs);
  for (const tag of meta.tags)
    builder.userTag(userId, tag).addSignal('affinity', rule.affinity, atMs);
}

function joinParked(builder: WritePlanBuilder, engagement: ParkedEngagement, meta: PostMeta): void {
  const rule = ENGAGEMENT_RULES.get(engagement.kind);
  if (rule !== undefined) join(builder, engagement.userId, rule, engagement.atMs, meta);
}

function relationKey(userId: string, relation: string, blogId: string): string {
  return `${userId}\u0000${relation}\u0000${blogId}`;
}

/** 1 for the score of an active relation, else 0 (ended, none: NaN or undefined). */
function isActive(score: number | undefined): number {
  return score !== undefined && score > 0 ? 1 : 0;
}

/** A parked engagement redelivered (and parked twice) joins once. */
function dedupe(parked: readonly ParkedEngagement[]): ParkedEngagement[] {
  return [...new Map(parked.map((engagement) => [engagement.eventId, engagement])).values()];
}
