import type { notificationv1 } from '@feedmesh/contracts';
import { withSpan } from '@feedmesh/telemetry';
import type { InboxDelivery } from './inbox-delivery.js';
import { typeName } from './inbox-delivery.js';
import type { NotificationMetrics } from './metrics.js';
import type { NotificationCandidate } from './notification-candidate.js';
import type { NotificationPolicy } from './notification-policy.js';
import type { NotificationRenderer } from './notification-text.js';

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
 * Policies, then words, then delivery: what every candidate goes through, whatever produced it.
 * The policies and their order are chosen where the service is assembled (index.ts).
 */
export class DeliveryPipeline {
  constructor(
    private readonly policies: readonly NotificationPolicy[],
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
    for (const policy of this.policies) {
      const verdict = await policy.decide(candidate, nowMs);
      if (verdict.action === 'drop') {
        return { outcome: 'dropped', policy: policy.name, reason: verdict.reason };
      }
      if (verdict.action === 'delay') {
        const { reason, untilMs } = verdict;
        return { outcome: 'delayed', policy: policy.name, reason, untilMs };
      }
    }
    const draft = await this.renderer.render(candidate, nowMs);
    const result = await this.delivery.deliver(
      candidate.subject.userId,
      draft,
      candidate.dedupeKey,
      nowMs,
    );
    return result.status === 'delivered'
      ? { outcome: 'delivered', notification: result.notification }
      : { outcome: 'duplicate', notificationId: result.notificationId };
  }
}
