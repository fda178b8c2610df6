import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import assert from 'node:assert/strict';
import { aggregateExperimentEvents, cumulativeCounts, emptyCounts } from './user-aggregates.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 10, 1);
const K = commonv1.EngagementKind;

let sequence = 0;
function event(
  atMs: number,
  payload: eventsv1.Event['payload'],
  eventId = `e${++sequence}`,
): eventsv1.Event {
  return { eventId, atMs, payload };
}

function impression(
  atMs: number,
  userId: string,
  postId: string,
  variant?: string,
  experiment = 'exp',
): eventsv1.Event {
  return event(atMs, {
    $case: 'impression',
    value: {
      userId,
      postId,
      requestId: 'r',
      position: 0,
      surface: commonv1.Surface.SURFACE_DASHBOARD,
      experiments: variant ? [{ experiment, variant }] : [],
      source: 'following',
      model: '',
      score: 0,
      featureSchema: '',
      featureValues: [],
      featureMissing: Buffer.alloc(0),
    },
  });
}

function engage(
  atMs: number,
  userId: string,
  postId: string,
  kind: commonv1.EngagementKind,
  eventId?: string,
): eventsv1.Event {
  return event(atMs, { $case: 'engagement', value: { userId, postId, kind } }, eventId);
}

function session(atMs: number, userId: string): eventsv1.Event {
  return event(atMs, { $case: 'sessionStarted', value: { userId } });
}

function log(): eventsv1.Event[] {
  return [
    event(START - 60 * DAY, {
      $case: 'blogCreated',
      value: { blogId: 'bOld', ownerUserId: 'o1', name: 'old', title: '' },
    }),
    event(START - DAY, {
      $case: 'blogCreated',
      value: { blogId: 'bNew', ownerUserId: 'o2', name: 'new', title: '' },
    }),
    event(START - DAY, {
      $case: 'postCreated',
      value: { postId: 'pNew', blogId: 'bNew', text: '', tags: [], mediaKind: 1, reblogOf: '' },
    }),
    event(START - 30 * DAY, {
      $case: 'postCreated',
      value: { postId: 'pOld', blogId: 'bOld', text: '', tags: [], mediaKind: 1, reblogOf: '' },
    }),
    // A blog whose creation was never logged is as old as its first post: not new.
    event(START - 100 * DAY, {
      $case: 'postCreated',
      value: { postId: 'pX', blogId: 'bX', text: '', tags: [], mediaKind: 1, reblogOf: '' },
    }),

    // u1, control: active before the start, exposed on day 0.
    session(START - 2 * DAY, 'u1'),
    engage(START - 2 * DAY + 1, 'u1', 'pOld', K.ENGAGEMENT_KIND_LIKE),
    session(START + HOUR, 'u1'),
    impression(START + HOUR + 1, 'u1', 'pNew', 'control'),
    impression(START + HOUR + 2, 'u1', 'pOld', 'control'),
    impression(START + HOUR + 3, 'u1', 'pX', 'control'),
    engage(START + 2 * HOUR, 'u1', 'pNew', K.ENGAGEMENT_KIND_LIKE, 'like-once'),
    engage(START + 2 * HOUR, 'u1', 'pNew', K.ENGAGEMENT_KIND_LIKE, 'like-once'),
    engage(START + 3 * HOUR, 'u1', 'pOld', K.ENGAGEMENT_KIND_HIDE),
    session(START + 2 * DAY + HOUR, 'u1'),

    // u2, treatment: lapsed (last session 10 days before), brought back by a notification.
    session(START - 10 * DAY, 'u2'),
    event(START + 5 * HOUR, {
      $case: 'notificationSent',
      value: {
        userId: 'u2',
        notificationId: 'n1',
        type: 'REACTIVATION',
        experiments: [{ experiment: 'exp', variant: 'treatment' }],
      },
    }),
    event(START + 6 * HOUR, {
      $case: 'notificationOpened',
      value: { userId: 'u2', notificationId: 'n1' },
    }),
    session(START + 6 * HOUR, 'u2'),
    engage(START + 6 * HOUR + 1, 'u2', 'pOld', K.ENGAGEMENT_KIND_REBLOG),

    // u3 was logged in both variants: left out.
    impression(START + HOUR, 'u3', 'pOld', 'control'),
    impression(START + 2 * HOUR, 'u3', 'pOld', 'treatment'),
    // u4 is in another experiment only; u5 was exposed after the window ended.
    impression(START + HOUR, 'u4', 'pOld', 'control', 'other'),
    engage(START + HOUR, 'u4', 'pOld', K.ENGAGEMENT_KIND_LIKE),
    impression(START + 5 * DAY, 'u5', 'pOld', 'control'),
  ];
}

describe('per-user experiment aggregates from the event log', () => {
  const options = { experiment: 'exp', startMs: START, endMs: START + 4 * DAY, bins: 4 };

  it('groups exposed users by the variant their impressions and notifications carried', async () => {
    const aggregates = await aggregateExperimentEvents(log(), options);
    assert.deepEqual(
      [...aggregates.variants].map(([variant, users]) => [variant, users.map((u) => u.userId)]),
      [
        ['control', ['u1']],
        ['treatment', ['u2']],
      ],
    );
    assert.equal(aggregates.multipleVariantUsers, 1);
    assert.deepEqual(aggregates.cutoffs, [
      START + DAY,
      START + 2 * DAY,
      START + 3 * DAY,
      START + 4 * DAY,
    ]);
    assert.equal(aggregates.variants.get('treatment')?.[0]?.firstExposureMs, START + 5 * HOUR);
  });

  it('counts the pre-period and each bin, new creators, and a redelivered event once', async () => {
    const aggregates = await aggregateExperimentEvents(log(), options);
    const u1 = aggregates.variants.get('control')?.[0];
    assert.ok(u1);
    assert.deepEqual(u1.pre, { ...emptyCounts(), sessions: 1, likes: 1, engagements: 1 });
    assert.deepEqual(u1.bins[0], {
      ...emptyCounts(),
      sessions: 1,
      impressions: 3,
      newCreatorImpressions: 1,
      likes: 1,
      engagements: 1,
      newCreatorEngagements: 1,
      hides: 1,
    });
    assert.deepEqual(u1.bins[2], { ...emptyCounts(), sessions: 1 });
    assert.equal(cumulativeCounts(u1, 3).sessions, 2);
    assert.equal(cumulativeCounts(u1, 0).sessions, 1);
    assert.equal(aggregates.duplicateEvents, 1);
  });

  it('marks users lapsed at the start and records their sessions', async () => {
    const aggregates = await aggregateExperimentEvents(log(), options);
    const u1 = aggregates.variants.get('control')?.[0];
    const u2 = aggregates.variants.get('treatment')?.[0];
    assert.equal(u1?.lapsedAtStart, false);
    assert.equal(u2?.lapsedAtStart, true);
    assert.deepEqual(u2?.sessionTimes, [START + 6 * HOUR]);
    assert.equal(u2?.bins[0]?.reblogs, 1);
    assert.equal(u2?.bins[0]?.notificationsOpened, 1);
  });

  it('reads a source that is an async iterable factory, such as the event log history', async () => {
    const events = log();
    const aggregates = await aggregateExperimentEvents(async function* () {
      yield* events;
    }, options);
    assert.equal(aggregates.variants.get('control')?.length, 1);
  });

  it('counts the users exposed to the experiment before the start: a treated pre-period', async () => {
    const plain = await aggregateExperimentEvents(log(), options);
    assert.equal(plain.exposedBeforeStart, undefined);
    const events = [
      ...log(),
      // u1 already saw the treatment 3 days and 1 day before the window, u6 2 days before
      // (and never in it); u4's earlier impression is of another experiment.
      impression(START - 3 * DAY, 'u1', 'pOld', 'control'),
      impression(START - DAY, 'u1', 'pOld', 'control'),
      impression(START - 2 * DAY, 'u6', 'pOld', 'treatment'),
      impression(START - 5 * DAY, 'u4', 'pOld', 'control', 'other'),
    ];
    const aggregates = await aggregateExperimentEvents(events, options);
    assert.deepEqual(aggregates.exposedBeforeStart, { users: 2, firstMs: START - 3 * DAY });
    // The window's own exposures are unchanged: u1 is still first exposed in the window.
    assert.equal(aggregates.variants.get('control')?.[0]?.firstExposureMs, START + HOUR + 1);
    assert.deepEqual(
      [...aggregates.variants.values()].flat().map((u) => u.userId),
      ['u1', 'u2'],
    );
  });

  it('rejects a window that ends before it starts', async () => {
    await assert.rejects(aggregateExperimentEvents([], { ...options, endMs: START }), /endMs/);
  });

  it('refuses a bin count or a duration it cannot use, naming the option', async () => {
    // Before: bins NaN made no look at all (an empty report, silently), bins 0 or 2.5 became
    // 1 or 2, and a negative pre-period an empty one.
    const refused = (extra: Record<string, number>, field: string) =>
      assert.rejects(aggregateExperimentEvents([], { ...options, ...extra }), {
        name: 'InvalidArgumentError',
        field,
      });
    await refused({ bins: Number.NaN }, 'bins');
    await refused({ bins: 0 }, 'bins');
    await refused({ bins: 2.5 }, 'bins');
    await refused({ prePeriodMs: -DAY }, 'prePeriodMs');
    await refused({ newCreatorAgeMs: Number.NaN }, 'newCreatorAgeMs');
    await refused({ lapseMs: -1 }, 'lapseMs');
    await refused({ startMs: Number.NaN }, 'startMs');
  });
});
