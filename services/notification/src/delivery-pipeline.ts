import type { notificationv1 } from '@feedmesh/contracts';
import { withSpan } from '@feedmesh/telemetry';
import type { InboxDelivery } from './inbox-delivery.js';
import { typeName } from './inbox-delivery.js';
import type { NotificationMetrics } from './metrics.js';
import { leaveOut, nothingLeft, type NotificationCandidate } from './notification-candidate.js';
import type { NotificationPolicy } from './notification-policy.js';
import type { NotificationRenderer } from './notification-text.js';
import type { QuotaClaim, QuotaStore } from './quota-store.js';

export type PipelineOutcome =
  | { readonly outcome: 'delivered'; readonly notification: notificationv1.Notification }
  /** The inbox already had this dedupe key (a race the deduplication policy could not see). */
  | { readonly outcome: 'duplicate'; readonly notificationId: string }
  | { readonly outcome: 'dropped'; readonly policy: string; readonly reason: string }
  | {
      readonly outcome: 'delayed';
      readonly policy: string;
      readonly reason: string;
      readonly untilMs: number;
    };

/**
 * Policies, then the quotas they claimed, then words, then delivery: what every candidate goes
 * through, whatever produced it. The quota slots are spent before delivery (so two replicas
 * cannot both take the last one) and given back when the delivery fails: only delivered
 * notifications count against fatigue and the budget, each once. What a policy leaves out (a
 * blocked blog's posts) is not worded. The policies and their order are chosen where the
 * service is assembled (index.ts): that order decides which policy a drop or delay is
 * attributed to.
 */
export class DeliveryPipeline {
  constructor(
    private readonly policies: readonly NotificationPolicy[],
    private readonly quotas: QuotaStore,
    private readonly renderer: NotificationRenderer,
    private readonly delivery: InboxDelivery,
    private readonly metrics: NotificationMetrics,
  ) {}

  run(candidate: NotificationCandidate, nowMs: number): Promise<PipelineOutcome> {
    const { userId, type } = candidate.subject;
    return withSpan(
      'notification.pipeline',
      { 'feedmesh.user': userId, 'notification.type': typeName(type) },
      async (span) => {
        const outcome = await this.decideAndDeliver(candidate, nowMs);
        span.setAttribute('notification.outcome', outcome.outcome);
        const policy = 'policy' in outcome ? outcome.policy : undefined;
        if (policy !== undefined) span.setAttribute('notification.policy', policy);
        this.metrics.candidate(outcome.outcome, typeName(type), policy);
        return outcome;
      },
    );
  }

  private async decideAndDeliver(
    candidate: NotificationCandidate,
    nowMs: number,
  ): Promise<PipelineOutcome> {
    // Policies only look (spending is the quota's, below), so they are asked at once; the
    // first verdict that drops or delays, in the listed order, decides.
    const verdicts = await Promise.all(this.policies.map((p) => p.decide(candidate, nowMs)));
    const claims: {
      readonly policy: string;
      readonly reason: string;
      readonly claim: QuotaClaim;
    }[] = [];
    const leftOutPosts = new Set<string>();
    const leftOutActors = new Map<string, number>();
    const deletedPosts = new Map<string, string>();
    let leftOutBy: string | undefined;
    for (const [i, verdict] of verdicts.entries()) {
      const policy = this.policies[i]?.name ?? 'unknown';
      if (verdict.action === 'drop') {
        return { outcome: 'dropped', policy, reason: verdict.reason };
      }
      if (verdict.action === 'delay') {
        return { outcome: 'delayed', policy, reason: verdict.reason, untilMs: verdict.untilMs };
      }
      if (verdict.action === 'spend')
        claims.push({ policy, reason: verdict.reason, claim: verdict.claim });
      if (verdict.action === 'leave-out') {
        leftOutBy ??= policy;
        for (const postId of verdict.postIds) leftOutPosts.add(postId);
        for (const [postId, blogId] of verdict.deletedPosts ?? []) deletedPosts.set(postId, blogId);
        for (const [actorId, entries] of verdict.actors) {
          leftOutActors.set(actorId, Math.max(entries, leftOutActors.get(actorId) ?? 0));
        }
      }
    }
    const sending = leaveOut(candidate, leftOutPosts, leftOutActors, deletedPosts);
    // Each policy dropped what it alone left empty; what they left out together may leave
    // nothing too (a digest's deleted posts and its blocked ones): never "0 new posts".
    // Attributed to the first policy, in the listed order, that left something out.
    if (leftOutBy !== undefined && nothingLeft(candidate, sending)) {
      return { outcome: 'dropped', policy: leftOutBy, reason: 'nothing-left' };
    }
    const { userId } = candidate.subject;
    // The slots are held under the dedupe key: a retried flush of the candidate holds the
    // same ones, not another.
    const sendId = candidate.dedupeKey;
    const spent = claims.map((c) => c.claim);
    // The words are read while the quotas are spent: one round trip less per delivery, at the
    // cost of rendering a candidate the quotas hold back.
    const [acquired, rendered] = await Promise.allSettled([
      this.quotas.acquire(userId, sendId, spent, nowMs),
      this.renderer.render(sending, nowMs),
    ]);
    if (acquired.status === 'rejected') throw acquired.reason;
    const decision = acquired.value;
    if (!decision.granted) {
      const refused = claims[decision.refused] ?? claims[0];
      return {
        outcome: 'delayed',
        policy: refused?.policy ?? 'quota',
        reason: refused?.reason ?? 'quota',
        untilMs: decision.retryAtMs,
      };
    }
    if (rendered.status === 'rejected') {
      await this.release(userId, sendId, spent);
      throw rendered.reason;
    }
    let result;
    try {
      result = await this.delivery.deliver(userId, rendered.value, candidate.dedupeKey, nowMs);
    } catch (error) {
      // The slots count deliveries: a failed one gives them back (its retry claims again),
      // unless the append reached the inbox although its reply was lost.
      const delivered = await this.delivery
        .wasDelivered(userId, candidate.dedupeKey, nowMs)
        .catch(() => true);
      if (!delivered) await this.release(userId, sendId, spent);
      throw error;
    }
    // A duplicate was delivered by an earlier attempt, under the same send id: its slots are
    // the ones this attempt holds, so they stay spent.
    return result.status === 'delivered'
      ? { outcome: 'delivered', notification: result.notification }
      : { outcome: 'duplicate', notificationId: result.notificationId };
  }

  /**
   * Gives the slots back. If that fails too they stay held by the send id, and the retry of
   * the candidate reuses them rather than spending more.
   */
  private async release(
    userId: string,
    sendId: string,
    claims: readonly QuotaClaim[],
  ): Promise<void> {
    await this.quotas.release(userId, sendId, claims).catch(() => undefined);
  }
}
