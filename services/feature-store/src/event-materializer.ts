import { randomUUID } from 'node:crypto';
import type { eventsv1 } from '@feedmesh/contracts';
import type { BatchFailure, Delivery } from '@feedmesh/events';
import { factOf, type EventFact } from './event-facts.js';
import {
  countedKey,
  type BatchUnit,
  type EventMarker,
  type FeatureStore,
  type ParkedEngagement,
  type PostMeta,
  type PostWritten,
  type Prefetched,
  type RelationRead,
  type StoredCreation,
  type WriteOutcome,
} from './feature-store.js';
import { createdBefore, creationOutcome } from './post-meta.js';
import { relationOutcome } from './relation-rules.js';
import { addedAbove, EntityDelta } from './state-delta.js';
import { LAYOUTS } from './state-layout.js';
import {
  ENGAGEMENT_RULES,
  ownSignals,
  receivedSignals,
  type EngagementRule,
} from './update-rules.js';
import { WritePlanBuilder, type CountedAlready } from './write-plan-builder.js';

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
 * already acknowledged. What it cannot skip, a batch written (wholly or partly) but not
 * acknowledged and delivered again, counts once all the same: each entity write is marked
 * with the events it counts, atomically with its changes (see `EntityWrite`), and a batch
 * delivered again first asks which entities counted which of its events and leaves those out.
 */
export interface FeatureMaterializerOptions {
  /**
   * The log's processed-marker of an event (`RedisStreamsEventLog.processedMarker` for this
   * service's group). Given, and with a store that opens batch units (a single Redis), each
   * batch is written as one unit with its events' markers (see `BatchUnit`): no per-entity
   * markers, and a batch delivered again is skipped by the consumer if it landed.
   */
  readonly markerOf?: (event: eventsv1.Event) => { readonly key: string; readonly ttlMs: number };
  /** Called each time Redis refuses a batch unit's write (it is planned again). */
  readonly onRefused?: () => void;
  /**
   * Events a batch unit writes at once (default 500): a larger batch is planned and written
   * in parts of about this many, each sent as soon as it is planned, so that Redis runs one
   * part while the service plans the next (see `BatchUnit`).
   */
  readonly unitPartEvents?: number;
}

/** See `FeatureMaterializerOptions.unitPartEvents`. */
export const UNIT_PART_EVENTS = 500;

export class FeatureMaterializer {
  /** Plans after a conflict (another delivery of an event wrote first) before giving up. */
  private static readonly ATTEMPTS = 4;
  /**
   * Batch units refused (something the prefetch read changed: a new post created or engaged
   * elsewhere, a parked list, a relation) before giving up; the batch is delivered again.
   */
  private static readonly UNIT_ATTEMPTS = 8;

  /**
   * By consumer (group and name, from the deliveries): the batch it handed in last, while that
   * batch is being written. A consumer that overlaps its batches hands in the next before the
   * last resolved (`overlapBatches` of the log's `consume`); the next then follows it.
   */
  private readonly lanes = new Map<string, BatchLink>();

  constructor(
    private readonly store: FeatureStore,
    private readonly options: FeatureMaterializerOptions = {},
  ) {}

  /** Applies one event; throws what a batch would report for it. */
  async apply(event: eventsv1.Event): Promise<void> {
    const [failure] = await this.applyBatch([event]);
    if (failure !== undefined) throw failure.error;
  }

  /**
   * Applies the events it can make sense of, and reports the others (by index) with the
   * `InvalidArgumentError` naming the field at fault. A store failure throws: nothing of the
   * batch is known to be applied. `deliveries` (the log's) tell a batch delivered again, whose
   * events some entities may have counted already.
   */
  async applyBatch(
    events: readonly eventsv1.Event[],
    deliveries?: readonly Delivery[],
  ): Promise<BatchFailure[]> {
    const failures: BatchFailure[] = [];
    const facts: EventFact[] = [];
    const { markerOf } = this.options;
    const markers: EventMarker[] = [];
    events.forEach((event, index) => {
      try {
        const fact = factOf(event);
        if (fact === undefined) return;
        facts.push(fact);
        if (markerOf !== undefined) markers.push({ eventId: event.eventId, ...markerOf(event) });
      } catch (error) {
        failures.push({ index, error });
      }
    });
    if (facts.length === 0) return failures;
    if (markerOf !== undefined && this.store.batchUnit !== undefined) {
      const lane = deliveries?.[0] && `${deliveries[0].group}\u0000${deliveries[0].consumer}`;
      const link = new BatchLink();
      const before = lane === undefined ? undefined : this.lanes.get(lane);
      if (lane !== undefined) this.lanes.set(lane, link);
      try {
        const applied = await this.applyInUnits(facts, markers, link, before);
        if (applied) return failures;
      } finally {
        link.finish();
        if (lane !== undefined && this.lanes.get(lane) === link) this.lanes.delete(lane);
      }
    }
    let deliveredBefore = deliveries?.some((delivery) => delivery.deliveries > 1) ?? false;
    for (let attempt = 1; ; attempt++) {
      const conflicts = await new BatchMaterialization(this.store, facts, deliveredBefore).run();
      if (!conflicts) return failures;
      if (attempt === FeatureMaterializer.ATTEMPTS) {
        throw new Error(`a batch kept meeting other deliveries of its events ${attempt} times`);
      }
      deliveredBefore = true;
    }
  }

  /**
   * Writes the batch in units until every part landed; false when the store opens none (a
   * Cluster). The first attempt follows `before` (the batch the consumer handed in before this
   * one) when that batch's last part is still to be sent; otherwise this waits for it first.
   */
  private async applyInUnits(
    facts: readonly EventFact[],
    markers: readonly EventMarker[],
    link: BatchLink,
    before: BatchLink | undefined,
  ): Promise<boolean> {
    const markerById = new Map(markers.map((marker) => [marker.eventId, marker]));
    const partEvents = this.options.unitPartEvents ?? UNIT_PART_EVENTS;
    let pending: readonly EventFact[] = facts;
    for (let attempt = 1; ; attempt++) {
      let following: Following | undefined;
      if (attempt === 1 && before !== undefined) {
        if (before.lastSent) {
          await before.done;
        } else {
          before.successor = true;
          following = { tail: before.sent, partsSeen: before.partsSent };
        }
      }
      const unit = this.store.batchUnit!(
        pending.map((fact) => markerById.get(fact.eventId)!),
        { readMarkers: attempt > 1 },
      );
      if (unit === undefined) return false;
      let unlanded: readonly EventFact[] | undefined;
      try {
        unlanded = await new BatchMaterialization(this.store, pending, false).runAsUnit(unit, {
          markerOf: (eventId) => markerById.get(eventId)!,
          partEvents,
          ...(following === undefined ? {} : { following }),
          ...(attempt === 1 ? { link } : {}),
        });
      } finally {
        link.markSent(undefined);
      }
      // Planned again after the batch it followed is done: its writes are then in what a new
      // prefetch reads.
      if (before !== undefined) await before.done;
      if (unlanded === undefined) continue;
      pending = unlanded;
      if (pending.length === 0) return true;
      this.options.onRefused?.();
      if (attempt === FeatureMaterializer.UNIT_ATTEMPTS) {
        throw new Error(`a batch's write was refused ${attempt} times (its reads kept changing)`);
      }
    }
  }
}

/**
 * A batch written in units (see `BatchUnit`), as the batch handed in after it sees it: the
 * next batch of the same consumer follows it (its first write lands only after this batch's
 * last one, and plans on what this batch's writes leave) when it arrives before this batch's
 * last part is sent.
 */
class BatchLink {
  /** Set by the next batch before this batch's last part is sent: that part leaves its key. */
  successor = false;
  /** Parts of the batch's first attempt sent so far. */
  partsSent = 0;
  /** The first attempt's last part was sent (or will not be). */
  lastSent = false;
  /** Resolves with what a follower plans on once the last part is sent; undefined: no chain. */
  readonly sent: Promise<ChainTail | undefined>;
  /** Resolves when the batch has been applied, or has failed. */
  readonly done: Promise<void>;
  private resolveSent!: (tail: ChainTail | undefined) => void;
  private resolveDone!: () => void;

  constructor() {
    this.sent = new Promise((resolve) => (this.resolveSent = resolve));
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  markSent(tail: ChainTail | undefined): void {
    if (this.lastSent) return;
    this.lastSent = true;
    this.resolveSent(tail);
  }

  finish(): void {
    this.markSent(undefined);
    this.resolveDone();
  }
}

/** What a batch's writes leave that the batch following it plans on. */
interface ChainTail {
  /** The token its last write leaves when it lands (and every write before it did). */
  readonly token: string;
  /** The posts it creates, or whose meta it replaces: the creation it leaves stored. */
  readonly creations: ReadonlyMap<string, StoredCreation>;
  /** Per part, in order: the engagements it parks, by post. */
  readonly parks: readonly ReadonlyMap<string, readonly ParkedEngagement[]>[];
  /** By relation key: the score it leaves (NaN: none). */
  readonly relations: ReadonlyMap<string, number>;
}

/** A batch following another one's writes: what it waits for, and what it saw of them. */
interface Following {
  readonly tail: Promise<ChainTail | undefined>;
  /** The other's parts sent before this batch's prefetch: their writes are in what it read. */
  readonly partsSeen: number;
}

/** One batch's materialization: prefetch, plan, write, correct. */
class BatchMaterialization {
  private builder = new WritePlanBuilder();
  /** Metas the batch knows: prefetched, or created (or replaced) by a PostCreated in it. */
  private readonly metas = new Map<string, PostMeta>();
  /** Posts without a meta whose earliest PostCreated in this batch creates them. */
  private readonly creating = new Map<string, Fact<'post_created'>>();
  /**
   * Posts whose stored meta came from a later PostCreated than one in this batch: the
   * earliest in the batch replaces it (see `Creation`), with the creation it replaces.
   */
  private readonly replacing = new Map<
    string,
    { readonly fact: Fact<'post_created'>; readonly replaced: StoredCreation }
  >();
  /** By post created in the batch: the creation stored, as the prefetch (or followed batch) left it. */
  private readonly stored = new Map<string, StoredCreation>();
  /** Posts of `creating` or `replacing` a write planned so far stores the meta of. */
  private readonly created = new Set<string>();
  /** Following another batch's writes: the token its last one leaves (see `BatchLink`). */
  private landedBefore: string | undefined;

  /** By (user, relation, blog): the score prefetched, and the one this batch leaves. */
  private readonly relations = new Map<string, { score: number | undefined; predicted: number }>();
  /** The follows whose blog part is in the plan, in plan order: what each changes there. */
  private followerChanges: FollowerChange[] = [];
  /** For a batch delivered again: by user and event, the change a relation event made. */
  private recorded = new Map<string, number>();

  constructor(
    private readonly store: FeatureStore,
    private facts: readonly EventFact[],
    /** Some entity may have counted some of the events already (a batch delivered again). */
    private readonly deliveredBefore: boolean,
  ) {}

  /** Resolves with whether the store met a conflict: what it did not write is to plan again. */
  async run(): Promise<boolean> {
    const prefetched = await this.prefetch();
    const countedAlready = this.deliveredBefore ? await this.countedAlready(prefetched) : undefined;
    this.planAll(prefetched, countedAlready);
    const outcome = await this.store.write(this.builder.build());
    await this.correct(outcome, this.builder, this.followerChanges);
    return outcome.conflicts;
  }

  /**
   * Prefetch once, then plan and write the batch in parts of about `partEvents` events, in log
   * order, each part sent as soon as it is planned (Redis runs it while the next is planned).
   * A part lands whole, with its events' markers, only if nothing it depends on changed since
   * the prefetch and every earlier part landed, so there is nothing to correct after it
   * (`correct` finds it so). Resolves with the facts of the parts that did not land (from the
   * first part Redis refused on): to plan again.
   */
  async runAsUnit(
    unit: BatchUnit,
    {
      markerOf,
      partEvents,
      following,
      link,
    }: {
      readonly markerOf: (eventId: string) => EventMarker;
      readonly partEvents: number;
      /** The batch whose writes this one's follow (see `BatchLink`). */
      readonly following?: Following;
      /** This batch as the one after it sees it. */
      readonly link?: BatchLink;
    },
  ): Promise<readonly EventFact[] | undefined> {
    let prefetched = await this.prefetch(unit, following);
    if (prefetched === undefined) return undefined;
    if (prefetched.applied.size > 0) {
      // Another consumer applied these (a republished event, a reclaimed entry): leave them
      // out, and read again for the rest.
      const { applied } = prefetched;
      this.facts = this.facts.filter((fact) => !applied.has(fact.eventId));
      if (this.facts.length === 0) return [];
      prefetched = (await this.prefetch(unit))!;
    }
    this.startPlan();
    const parts = partsOf(this.facts, partEvents);
    const writes: Promise<PartOutcome>[] = [];
    const parks: ReadonlyMap<string, readonly ParkedEngagement[]>[] = [];
    const tokens: (string | undefined)[] = [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const relations = this.relationReads(part);
      this.builder = new WritePlanBuilder();
      this.followerChanges = [];
      for (const fact of part) this.plan(fact, prefetched);
      this.builder.countingFor(undefined);
      const { builder, followerChanges } = this;
      const plan = builder.build();
      const last = i === parts.length - 1;
      // Each part follows the one before (the first, the batch this one follows, if any); the
      // last leaves its token for the batch after this one, if that one follows.
      const after = i === 0 ? this.landedBefore : tokens[i - 1];
      const leaves = !last || link?.successor === true ? randomUUID() : undefined;
      tokens.push(leaves);
      parks.push(
        new Map(
          plan.posts.flatMap((post) => (post.park.length > 0 ? [[post.postId, post.park]] : [])),
        ),
      );
      writes.push(
        unit
          .write(plan, {
            markers: part.map((fact) => markerOf(fact.eventId)),
            relations,
            ...(leaves === undefined ? {} : { leaves }),
            ...(after === undefined ? {} : { after }),
          })
          .then(
            (outcome) => ({ outcome, builder, followerChanges }),
            (error: unknown) => ({ error }),
          ),
      );
      if (link !== undefined) {
        link.partsSent += 1;
        if (last) {
          link.markSent(
            leaves !== undefined
              ? {
                  token: leaves,
                  creations: this.creationsLeft(),
                  parks,
                  relations: new Map(
                    [...this.relations].map(([key, { predicted }]) => [key, predicted]),
                  ),
                }
              : undefined,
          );
        }
      }
      // Lets the part's transaction go out before the next part is planned.
      if (!last) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const outcomes = await Promise.all(writes);
    for (let i = 0; i < outcomes.length; i++) {
      const landed = outcomes[i]!;
      // The parts before it landed (their events are marked); the store is to blame.
      if ('error' in landed) throw landed.error;
      if (landed.outcome.conflicts) return parts.slice(i).flat();
      await this.correct(landed.outcome, landed.builder, landed.followerChanges);
    }
    return [];
  }

  /** The creations this batch's writes leave stored, for the batch that follows them. */
  private creationsLeft(): Map<string, StoredCreation> {
    const left = new Map<string, StoredCreation>();
    const facts = [...this.creating.values(), ...[...this.replacing.values()].map((r) => r.fact)];
    for (const { postId, meta, atMs, eventId } of facts) {
      left.set(postId, { meta, creator: { atMs, eventId } });
    }
    return left;
  }

  /** The relations a part reads, each with the score the parts before it leave. */
  private relationReads(part: readonly EventFact[]): RelationRead[] {
    const reads = new Map<string, RelationRead>();
    for (const fact of part) {
      if (fact.kind !== 'relation') continue;
      const { userId, relation, blogId } = fact;
      const key = relationKey(userId, relation, blogId);
      if (reads.has(key)) continue;
      const { predicted } = this.relations.get(key)!;
      const score = Number.isNaN(predicted) ? undefined : predicted;
      reads.set(key, { userId, relation, blogId, score });
    }
    return [...reads.values()];
  }

  private startPlan(countedAlready?: CountedAlready): void {
    this.builder = new WritePlanBuilder(countedAlready);
    this.followerChanges = [];
    this.created.clear();
    for (const known of this.relations.values()) known.predicted = known.score ?? Number.NaN;
  }

  private planAll(prefetched: Prefetched, countedAlready: CountedAlready | undefined): void {
    this.startPlan(countedAlready);
    for (const fact of this.facts) this.plan(fact, prefetched);
    this.builder.countingFor(undefined);
  }

  /** A second round trip, for a batch delivered again: which entities counted which events. */
  private async countedAlready(prefetched: Prefetched): Promise<CountedAlready | undefined> {
    this.planAll(prefetched, undefined);
    const checks = this.builder.countedChecks();
    if (checks.length === 0) return undefined;
    const { counted, relationChanges } = await this.store.prefetch({
      metas: [],
      parked: [],
      relations: [],
      counted: checks,
    });
    checks.forEach(({ id, eventId }, i) => {
      const change = relationChanges[i];
      if (change !== undefined) this.recorded.set(`${id}\u0000${eventId}`, change);
    });
    const done = new Set(
      checks
        .filter((_, i) => counted[i] === true)
        .map(({ entity, id, eventId }) => `${countedKey(entity, id)}\u0000${eventId}`),
    );
    return (entity, id, eventId) => done.has(`${countedKey(entity, id)}\u0000${eventId}`);
  }

  private of<K extends EventFact['kind']>(kind: K): Fact<K>[] {
    return this.facts.filter((fact): fact is Fact<K> => fact.kind === kind);
  }

  private async prefetch(): Promise<Prefetched>;
  /** Undefined when the batch it follows gave way (it will not leave what this one plans on). */
  private async prefetch(
    unit: BatchUnit,
    following?: Following,
  ): Promise<(Prefetched & { applied: ReadonlySet<string> }) | undefined>;
  private async prefetch(unit?: BatchUnit, following?: Following): Promise<Prefetched | undefined> {
    this.metas.clear();
    this.creating.clear();
    this.replacing.clear();
    this.stored.clear();
    this.relations.clear();
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
    const prefetched = await (unit ?? this.store).prefetch({
      metas: [...new Set([...created, ...engaged])],
      // A post whose meta turns out stored has nothing parked: reading its empty list is
      // cheaper than a round trip to learn which posts those are.
      parked: created,
      relations,
      creations: created,
      ...(this.deliveredBefore ? { joined: created } : {}),
    });
    // Following another batch's writes: planned on what they leave, where the prefetch (sent
    // before they landed) cannot have read it. Its first write lands only after their last.
    const tail = following === undefined ? undefined : await following.tail;
    if (following !== undefined && tail === undefined) return undefined;
    this.landedBefore = tail?.token;
    for (const [postId, meta] of prefetched.metas) this.metas.set(postId, meta);
    for (const [postId, creation] of prefetched.creations) this.stored.set(postId, creation);
    // What the followed batch leaves stored, which its writes may not have when this read.
    for (const [postId, creation] of tail?.creations ?? []) {
      this.metas.set(postId, creation.meta);
      this.stored.set(postId, creation);
    }
    [...relationKeys.keys()].forEach((key, i) => {
      const left = tail?.relations.get(key);
      const score =
        left === undefined ? prefetched.relationScores[i] : Number.isNaN(left) ? undefined : left;
      this.relations.set(key, { score, predicted: score ?? Number.NaN });
    });
    // The earliest PostCreated of a post in the batch (see `Creation`) creates it when it has
    // no meta, or replaces a meta of a later one; its meta serves every engagement of the
    // batch, wherever it sits in the batch. The others change nothing.
    const earliest = new Map<string, Fact<'post_created'>>();
    for (const fact of this.of('post_created')) {
      const known = earliest.get(fact.postId);
      if (known === undefined || createdBefore(fact, known)) earliest.set(fact.postId, fact);
    }
    for (const [postId, fact] of earliest) {
      const stored = this.stored.get(postId);
      if (!this.metas.has(postId)) {
        this.creating.set(postId, fact);
      } else if (stored !== undefined && creationOutcome(stored, fact) === 'replace') {
        this.replacing.set(postId, { fact, replaced: stored });
      } else {
        continue;
      }
      this.metas.set(postId, fact.meta);
    }
    if (tail === undefined) return prefetched;
    // What the followed batch's parts sent after the prefetch park with posts this one creates.
    const parked = new Map(prefetched.parked);
    const assumed = new Map<string, ParkedEngagement[]>();
    for (const postId of this.creating.keys()) {
      const later = tail.parks
        .slice(following!.partsSeen)
        .flatMap((part) => part.get(postId) ?? []);
      if (later.length === 0) continue;
      parked.set(postId, [...(prefetched.parked.get(postId) ?? []), ...later]);
      assumed.set(postId, later);
    }
    unit!.assumeParked(assumed);
    return { ...prefetched, parked };
  }

  private plan(fact: EventFact, prefetched: Prefetched): void {
    const { builder } = this;
    // Counters and counts are marked with the event that adds to them; the rest (attributes
    // merged by max or min, sets, relations) come out the same however often applied.
    builder.countingFor(undefined);
    switch (fact.kind) {
      case 'post_created': {
        const { postId } = fact;
        const replacement = this.replacing.get(postId);
        const creation = this.creating.get(postId) ?? replacement?.fact;
        if (creation === undefined) {
          this.creationAgain(fact, prefetched);
          return;
        }
        // The batch's earliest PostCreated of the post is planned where its first one sits.
        if (this.created.has(postId)) return;
        this.created.add(postId);
        const { meta, atMs, eventId } = creation;
        builder.post(postId).create = {
          meta,
          parkedRead: prefetched.parked.get(postId)?.length ?? 0,
          eventId,
          creator: { atMs, eventId },
          attributes: creationAttributes(creation),
          ...(replacement === undefined ? {} : { replacing: replacement.replaced }),
        };
        if (replacement !== undefined) {
          // The replaced creation may itself be a write cut short, delivered again here.
          const { creator } = replacement.replaced;
          if (creator !== undefined) this.creationAgain({ postId, ...creator }, prefetched);
        }
        // Only the write that stores the meta counts the post for its blog (and uncounts it
        // for the blog of the creation it replaces): a PostCreated published twice must not
        // count it twice.
        const parked = prefetched.parked.get(postId) ?? [];
        countCreation(builder, eventId, meta, atMs, parked, replacement?.replaced);
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
        builder.countingFor(fact.eventId);
        const post = builder.post(postId);
        const user = this.active(userId, atMs);
        for (const signal of ownSignals(rule)) {
          post.delta.addSignal(signal, 1, atMs);
          user.delta.addSignal(signal, 1, atMs);
        }
        builder.touch(userId, rule.set, postId, atMs);
        const meta = this.metas.get(postId);
        if (meta !== undefined) {
          join(builder, fact, rule, meta);
        } else {
          const { eventId, engagementKind: kind } = fact;
          post.park.push({ eventId, userId, kind, atMs });
        }
        return;
      }
      case 'relation': {
        const { userId, relation, blogId, atMs, active, eventId } = fact;
        // Marked, though last-write-wins, for the follower count it moves in another slot.
        builder.countingFor(eventId);
        const landed = builder.hasCounted('user', userId);
        this.active(userId, atMs).relations.push({
          relation,
          blogId,
          atMs,
          active,
          eventId,
          ...(relation === 'following' ? { countedIn: 'follows' as const } : {}),
        });
        const known = this.relations.get(relationKey(userId, relation, blogId))!;
        const before = isActive(known.predicted);
        const stored = Number.isNaN(known.predicted) ? undefined : known.predicted;
        const { score } = relationOutcome(stored, atMs, active);
        if (score !== undefined) known.predicted = score;
        if (relation !== 'following') return;
        // The blog's follower count moves by the change the user's write makes: predicted from
        // the relation as prefetched (\`correct\` makes up a difference), or, when the user's
        // part landed in an earlier delivery, the change it recorded then.
        const change = landed
          ? (this.recorded.get(`${userId}\u0000${eventId}`) ?? 0)
          : isActive(known.predicted) - before;
        const blogPlanned = !builder.hasCounted('blog', blogId);
        builder.blog(blogId).mergeAttribute('followers', change);
        if (blogPlanned) {
          this.followerChanges.push({ userId, blogId, eventId, change, predicted: !landed });
        }
        return;
      }
      case 'impression': {
        const { userId, postId, reblogOf, atMs } = fact;
        builder.countingFor(fact.eventId);
        builder.post(postId).delta.addSignal('impression', 1, atMs);
        this.active(userId, atMs).delta.addSignal('impression', 1, atMs);
        builder.touch(userId, 'served', postId, atMs);
        // The reader saw the original's content: the feed's filters then keep the original
        // and its other reblogs off later pages, with no lookup of roots on the read path.
        if (reblogOf !== '') builder.touch(userId, 'served', reblogOf, atMs);
        return;
      }
      case 'session': {
        const { userId, atMs } = fact;
        builder.countingFor(fact.eventId);
        this.active(userId, atMs)
          .delta.addSignal('session', 1, atMs)
          .mergeAttribute('last_session_at', atMs);
        return;
      }
    }
  }

  /**
   * A PostCreated delivered again whose first delivery created the post (or replaced its
   * meta): that write may have been cut short (a crash between its calls), so what the
   * creation counts elsewhere (the blog's posts, the parked engagements' joins, the replaced
   * creation's blog) is counted again, where the markers say it is missing. Only for the
   * PostCreated that created the post, as the post keeps it.
   */
  private creationAgain(
    { postId, eventId, atMs }: { postId: string; eventId: string; atMs: number },
    prefetched: Prefetched,
  ): void {
    const joined = prefetched.joined.get(postId);
    const stored = this.stored.get(postId);
    if (joined?.creator !== eventId || stored === undefined) return;
    if (stored.creator !== undefined && stored.creator.eventId !== eventId) return;
    countCreation(this.builder, eventId, stored.meta, atMs, joined.engagements, joined.replaced);
  }

  /** Every event of a user marks them active (and known) at its time. */
  private active(userId: string, atMs: number) {
    const user = this.builder.user(userId);
    user.delta.mergeAttribute('last_active_at', atMs);
    return user;
  }

  /**
   * Makes up for what another consumer changed between this batch's prefetch and write. After
   * a conflict only what was written counts here; the rest is planned again (a post created
   * by this write then comes back through `creationAgain`).
   */
  private async correct(
    outcome: WriteOutcome,
    builder: WritePlanBuilder,
    followerChanges: readonly FollowerChange[],
  ): Promise<void> {
    const written = (entity: 'user' | 'post' | 'blog', id: string) =>
      !outcome.unwritten.has(countedKey(entity, id));
    const corrections = new WritePlanBuilder();
    const blogWritten = (blogId: string) => written('blog', blogId);
    for (const [postId, written] of outcome.posts) {
      const replacement = this.replacing.get(postId);
      const creation = this.creating.get(postId) ?? replacement?.fact;
      if (creation !== undefined && written.created !== undefined) {
        correctCreation(corrections, creation, replacement?.replaced, written, blogWritten);
      }
      if (creation !== undefined) {
        for (const engagement of written.parkedSince) {
          joinParked(corrections, engagement, creation.meta);
        }
      }
      if (written.meta !== undefined) {
        // The post was created meanwhile: what this batch meant to park joins it now.
        const parked = builder.post(postId).park;
        for (const engagement of parked) joinParked(corrections, engagement, written.meta);
      }
    }
    // A follow whose user and blog parts were both written: the blog got the predicted
    // change, the user's write reports the one it made (another consumer may have moved the
    // relation in between). Any other follow is finished by the next delivery, which finds
    // what landed marked, and the change the user's part made recorded with its marker.
    const made = new Map<string, number>();
    for (const [userId, deltas] of outcome.relationDeltas) {
      builder.user(userId).relations.forEach(({ eventId }, i) => {
        made.set(`${userId}\u0000${eventId}`, deltas[i] ?? 0);
      });
    }
    const byBlog = new Map<string, { planned: number[]; actual: number[] }>();
    for (const { userId, blogId, eventId, change, predicted } of followerChanges) {
      if (!written('blog', blogId)) continue;
      const actual = predicted ? made.get(`${userId}\u0000${eventId}`) : undefined;
      let changes = byBlog.get(blogId);
      if (changes === undefined) byBlog.set(blogId, (changes = { planned: [], actual: [] }));
      changes.planned.push(change);
      changes.actual.push(actual ?? change);
    }
    for (const [blogId, { planned, actual }] of byBlog) {
      const correction = followerCorrection(outcome.followersBefore.get(blogId), planned, actual);
      if (correction !== 0) corrections.blog(blogId).mergeAttribute('followers', correction);
    }
    if (!corrections.isEmpty) await this.store.write(corrections.build());
  }
}

interface FollowerChange {
  readonly userId: string;
  readonly blogId: string;
  readonly eventId: string;
  readonly change: number;
  /**
   * Predicted from the relation as prefetched (the user's write reports the change it made);
   * false for the change a delivery before recorded, which is what the user's write made.
   */
  readonly predicted: boolean;
}

/**
 * What takes a blog's follower count from where the planned changes left it to where the
 * changes the users' writes made would have: the count stops at its floor (0), so a
 * decrement predicted wrong may have moved it less than predicted, and adding back the
 * difference would count a follower twice. Both are replayed from the count the write found
 * (`WriteOutcome.followersBefore`; without it, the plain difference).
 */
function followerCorrection(
  before: number | undefined,
  planned: readonly number[],
  actual: readonly number[],
): number {
  if (planned.every((change, i) => change === actual[i])) return 0;
  if (before === undefined) return sum(actual) - sum(planned);
  const { floor = Number.NEGATIVE_INFINITY } = LAYOUTS.blog.attribute('followers');
  return addedAbove(before, actual, floor) - addedAbove(before, planned, floor);
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** A batch unit's write, settled: its outcome and the plan it wrote, or what it threw. */
type PartOutcome =
  | {
      readonly outcome: WriteOutcome;
      readonly builder: WritePlanBuilder;
      readonly followerChanges: readonly FollowerChange[];
    }
  | { readonly error: unknown };

/**
 * `facts` in log order, cut into about equal parts of at most `size` (one part when it holds
 * them all).
 */
function partsOf(facts: readonly EventFact[], size: number): EventFact[][] {
  if (facts.length === 0) return [];
  const count = Math.ceil(facts.length / size);
  const length = Math.ceil(facts.length / count);
  const parts: EventFact[][] = [];
  for (let i = 0; i < facts.length; i += length) parts.push(facts.slice(i, i + length));
  return parts;
}

/**
 * The parts of an engagement that need its post's meta: its blog and tags, and, for a reblog
 * engaged with, the original in the same set as the post (the reader saw its content). Not
 * for `hidden`: hiding a reblog hides that post alone, not its original.
 *
 * Counted under the engagement's join (`joinId`), apart from its own counters (the post's and
 * the user's, under its event id), and the same whichever way it joins: at once, its post's
 * meta known, or parked until PostCreated joins it. So a delivery again counts the join once
 * whichever way an earlier delivery made it, and still makes it when that one counted the
 * engagement for the user but never parked it (a write cut short between its post and its
 * user). A plan joins an engagement once (it may hold the engagement and, parked by an earlier
 * delivery, its post's creation).
 */
function join(
  builder: WritePlanBuilder,
  engagement: { readonly eventId: string; readonly userId: string; readonly atMs: number },
  rule: EngagementRule,
  meta: PostMeta,
): void {
  if (!builder.planJoin(engagement.eventId)) return;
  const { userId, atMs } = engagement;
  const counting = builder.counting;
  builder.countingFor(joinId(engagement.eventId));
  if (meta.reblogOf !== '' && rule.set === 'engaged') {
    builder.touch(userId, 'engaged', meta.reblogOf, atMs);
  }
  const blog = builder.blog(meta.blogId);
  const userBlog = builder.userBlog(userId, meta.blogId);
  for (const signal of receivedSignals(rule)) {
    blog.addSignal(signal, 1, atMs);
    userBlog.addSignal(signal, 1, atMs);
  }
  userBlog.addSignal('affinity', rule.affinity, atMs);
  for (const tag of meta.tags)
    builder.userTag(userId, tag).addSignal('affinity', rule.affinity, atMs);
  builder.countingFor(counting);
}

/**
 * A post's creation: the post counted for its blog (and no longer for the blog of the
 * creation it replaces, if any), and each engagement parked with it joined.
 */
function countCreation(
  builder: WritePlanBuilder,
  eventId: string,
  meta: PostMeta,
  atMs: number,
  parked: readonly ParkedEngagement[],
  replaced?: StoredCreation,
): void {
  builder.countingFor(eventId);
  builder.blog(meta.blogId).addSignal('post', 1, atMs);
  if (replaced?.creator !== undefined) {
    builder.blog(replaced.meta.blogId).addSignal('post', -1, replaced.creator.atMs);
  }
  builder.countingFor(undefined);
  for (const engagement of parked) joinParked(builder, engagement, meta);
}

/** What a PostCreated's creation writes into the post's state, with its meta and only then. */
function creationAttributes(fact: Fact<'post_created'>): EntityDelta<'post'> {
  const { atMs, meta } = fact;
  return new EntityDelta(LAYOUTS.post)
    .mergeAttribute('created_at', atMs)
    .mergeAttribute('tag_count', meta.tags.length)
    .mergeAttribute('text_length', fact.textLength)
    .mergeAttribute('link_count', fact.linkCount)
    .mergeAttribute('spam_score', fact.spamScore)
    .mergeAttribute('is_reblog', meta.reblogOf === '' ? 0 : 1);
}

/**
 * Makes up for a creation whose write found another creation stored than the plan did
 * (another consumer created the post, or replaced its meta, between the prefetch and the
 * write): the blogs' post counts end where they would had the plan known. The plan counted
 * the post for its creation's blog and uncounted it for the one it meant to replace
 * (`planned`); the write replaced what it found (`created`), or kept it.
 */
function correctCreation(
  corrections: WritePlanBuilder,
  creation: Fact<'post_created'>,
  planned: StoredCreation | undefined,
  { created, found }: PostWritten,
  blogWritten: (blogId: string) => boolean,
): void {
  // Another delivery of the same PostCreated: the blogs' markers counted it once.
  if (sameCreator(found, creation)) return;
  if (created === true && sameCreator(found, planned?.creator)) return;
  // A blog write refused (another delivery counted it first) is planned again, whole.
  if (!blogWritten(creation.meta.blogId)) return;
  if (planned !== undefined && !blogWritten(planned.meta.blogId)) return;
  const count = (made: StoredCreation | undefined, weight: number) => {
    if (made?.creator !== undefined) {
      corrections.blog(made.meta.blogId).addSignal('post', weight, made.creator.atMs);
    }
  };
  count(planned, 1);
  if (created === true) count(found, -1);
  else count({ meta: creation.meta, creator: creation }, -1);
}

/** Whether a stored creation came from `creator` (both none counts as the same). */
function sameCreator(
  stored: StoredCreation | undefined,
  creator: { readonly atMs: number; readonly eventId: string } | undefined,
): boolean {
  if (stored?.creator === undefined || creator === undefined) {
    return stored?.creator === undefined && creator === undefined;
  }
  return stored.creator.atMs === creator.atMs && stored.creator.eventId === creator.eventId;
}

/**
 * The marker of an engagement's join (see `join`). Event ids are [A-Za-z0-9_.:-]: no event's
 * own id looks like it.
 */
function joinId(engagementEventId: string): string {
  return `>${engagementEventId}`;
}

function joinParked(builder: WritePlanBuilder, engagement: ParkedEngagement, meta: PostMeta): void {
  const rule = ENGAGEMENT_RULES.get(engagement.kind);
  if (rule !== undefined) join(builder, engagement, rule, meta);
}

function relationKey(userId: string, relation: string, blogId: string): string {
  return `${userId}\u0000${relation}\u0000${blogId}`;
}

/** 1 for the score of an active relation, else 0 (ended, none: NaN or undefined). */
function isActive(score: number | undefined): number {
  return score !== undefined && score > 0 ? 1 : 0;
}
