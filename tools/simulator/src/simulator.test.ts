import assert from 'node:assert/strict';
import { commonv1 } from '@feedmesh/contracts';
import { createWorld, topicOfTag, type World } from '@feedmesh/world';
import { runSimulation } from './run-simulation.js';
import { SimulatedClock } from './simulated-clock.js';
import { startSimulationMesh, type SimulationMesh } from './simulation-mesh.js';
import type { SimulationSummary } from './simulation-summary.js';

const HIDE = commonv1.EngagementKind.ENGAGEMENT_KIND_HIDE;

/** What the log says happened during the run, joined to the world's hidden interests. */
interface LogView {
  /** Impressions of posts in / outside the user's interests, and how many got a like, reblog or reply. */
  readonly interested: { impressions: number; engaged: number };
  readonly other: { impressions: number; engaged: number };
  /** Engagement events (hides included) the run put in the log. */
  readonly runEngagements: number;
  readonly runSessions: number;
  readonly runFollows: number;
}

async function readLog(mesh: SimulationMesh, world: World, summary: SimulationSummary) {
  const topicsOf = new Map<string, number[]>();
  const impressions: { userId: string; postId: string }[] = [];
  const engaged = new Set<string>();
  let runEngagements = 0;
  let runSessions = 0;
  let runFollows = 0;
  for await (const event of mesh.runtime.eventLog.history()) {
    const payload = event.payload;
    const fromRun = event.eventId.startsWith(`${summary.runTag}-`);
    if (payload?.$case === 'postCreated') {
      const topics = payload.value.tags.map(topicOfTag).filter((t) => t !== undefined);
      topicsOf.set(payload.value.postId, topics);
    } else if (payload?.$case === 'impression' && event.atMs >= summary.startMs) {
      impressions.push(payload.value);
    } else if (payload?.$case === 'engagement' && fromRun) {
      runEngagements += 1;
      if (payload.value.kind !== HIDE)
        engaged.add(`${payload.value.userId}|${payload.value.postId}`);
    } else if (payload?.$case === 'sessionStarted' && fromRun) {
      runSessions += 1;
    } else if (payload?.$case === 'follow' && fromRun) {
      runFollows += 1;
    }
  }
  const view: LogView = {
    interested: { impressions: 0, engaged: 0 },
    other: { impressions: 0, engaged: 0 },
    runEngagements,
    runSessions,
    runFollows,
  };
  for (const { userId, postId } of impressions) {
    const topics = topicsOf.get(postId) ?? [];
    const side = topics.some((t) => world.truth.interest(userId, t) > 0)
      ? view.interested
      : view.other;
    side.impressions += 1;
    if (engaged.has(`${userId}|${postId}`)) side.engaged += 1;
  }
  return view;
}

describe('the user simulator against an in-process mesh', function () {
  this.timeout(120_000);
  let mesh: SimulationMesh;
  let world: World;
  let summary: SimulationSummary;
  let log: LogView;

  before(async () => {
    const clock = new SimulatedClock(Math.floor(Date.now() / 60_000) * 60_000);
    world = createWorld({
      preset: 'small',
      users: 60,
      blogs: 30,
      posts: 900,
      engagements: 3_000,
      days: 20,
      seed: 11,
      now: clock.now(),
    });
    mesh = await startSimulationMesh({ clock });
    await mesh.publish(world.events());
    summary = await runSimulation({
      gatewayAddress: mesh.gatewayAddress,
      world: world.truth,
      clock,
      users: 40,
      days: 3,
      seed: 5,
      tickMs: 2 * 60 * 60_000,
      maxPages: 3,
      settle: () => mesh.settle(),
      perUser: true,
    });
    await mesh.settle();
    log = await readLog(mesh, world, summary);
  });

  after(async () => {
    await mesh?.shutdown();
  });

  it('publishes every session and engagement through the gateway, and all are accepted', () => {
    assert.ok(summary.sessions > 40, `only ${summary.sessions} sessions`);
    assert.equal(summary.published.rejected, 0, summary.published.firstRejection);
    assert.equal(summary.published.accepted, summary.published.sent);
    const { likes, reblogs, replies } = summary.engagements;
    assert.equal(log.runEngagements, likes + reblogs + replies + summary.hides);
    assert.equal(summary.published.engagementsAccepted, log.runEngagements);
    assert.equal(log.runSessions, summary.sessions);
    assert.equal(log.runFollows, summary.follows);
    assert.equal(summary.feedErrors, 0);
  });

  it('reads feeds the gateway logged as impressions on the simulated timeline', () => {
    const logged = log.interested.impressions + log.other.impressions;
    assert.equal(logged, summary.impressions);
  });

  it('engages far more with posts in a user’s hidden interests than with other posts', () => {
    const rate = (side: { impressions: number; engaged: number }) =>
      side.engaged / Math.max(1, side.impressions);
    assert.ok(log.interested.impressions > 100 && log.other.impressions > 30, JSON.stringify(log));
    assert.ok(
      rate(log.interested) > 3 * rate(log.other),
      `interested ${rate(log.interested).toFixed(3)}, other ${rate(log.other).toFixed(3)}`,
    );
  });

  it('brings satisfied users back sooner than dissatisfied ones', () => {
    const { satisfied, dissatisfied } = summary.retention.relativeReturnGap;
    assert.ok(satisfied > 0 && dissatisfied > 0, JSON.stringify(summary.retention));
    assert.ok(satisfied < dissatisfied, `satisfied ${satisfied}, dissatisfied ${dissatisfied}`);
  });

  it('returns a record per user with their sessions and hidden satisfaction', () => {
    const records = summary.perUser ?? [];
    assert.equal(records.length, 40);
    assert.equal(
      records.reduce((total, r) => total + r.sessions, 0),
      summary.sessions,
    );
    for (const record of records) {
      assert.ok(record.satisfaction >= 0 && record.satisfaction <= 1);
    }
  });
});
