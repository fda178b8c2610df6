import { meter } from '@feedmesh/telemetry';

/**
 * What SREs watch besides RPC metrics: what the trigger did with each activity event, what
 * became of each candidate, sends the event log did not take, and experiment assignments cut.
 */
export interface NotificationMetrics {
  /** `outcome`: digested, duplicate, parked, resumed, or an IgnoredReason. */
  activity(outcome: string): void;
  /** `outcome`: delivered, duplicate, dropped, delayed; `policy` for the last two. */
  candidate(outcome: string, type: string, policy?: string): void;
  sentEventFailed(): void;
  /** Experiment assignments of an impression beyond those the experiment store keeps. */
  experimentAssignmentsCut(count: number): void;
}

export function createNotificationMetrics(): NotificationMetrics {
  const m = meter('@feedmesh/notification');
  const activities = m.createCounter('feedmesh.notification.activities', {
    description: 'Activity events seen by the trigger, by outcome',
    unit: '{event}',
  });
  const candidates = m.createCounter('feedmesh.notification.candidates', {
    description: 'Notification candidates by pipeline outcome (and the deciding policy)',
    unit: '{notification}',
  });
  const sentEventFailures = m.createCounter('feedmesh.notification.sent_event_failures', {
    description: 'Delivered notifications whose NotificationSent event could not be appended',
    unit: '{event}',
  });
  const assignmentsCut = m.createCounter('feedmesh.notification.experiment_assignments_cut', {
    description:
      'Experiment assignments of impressions beyond those kept per user (the first by experiment id)',
    unit: '{assignment}',
  });
  return {
    activity: (outcome) => activities.add(1, { outcome }),
    candidate: (outcome, type, policy) =>
      candidates.add(1, { outcome, type, ...(policy === undefined ? {} : { policy }) }),
    sentEventFailed: () => sentEventFailures.add(1),
    experimentAssignmentsCut: (count) => assignmentsCut.add(count),
  };
}
