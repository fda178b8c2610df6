import { gatewayv1 } from '@feedmesh/contracts';
import { createServiceClient } from '@feedmesh/service-kit';
import { ContentSupply } from './content-supply.js';
import { ContentTruth } from './content-truth.js';
import { RunIds } from './event-ids.js';
import { EventPublisher } from './event-publisher.js';
import { hash32 } from './randomness.js';
import { SessionRunner } from './session-runner.js';
import { SimulatedClock } from './simulated-clock.js';
import { SimulatedUser } from './simulated-user.js';
import { DAY_MS, resolveSimulationOptions, type SimulationOptions } from './simulation-options.js';
import { summarize, type SimulationSummary } from './simulation-summary.js';

/** A feed call that takes longer than this failed (the gateway's own deadline is far shorter). */
const CALL_DEADLINE_MS = 30_000;

/**
 * Runs the closed loop: step by step through simulated time, creators post, and every user
 * whose next visit falls in the step opens the app, reads feeds through the gateway and
 * publishes what they did; the mesh learns from it and serves the next step. Returns what
 * happened, as JSON-able numbers.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationSummary> {
  const wallStart = performance.now();
  const days = options.days ?? 7;
  const clock = options.clock ?? new SimulatedClock(Date.now() - days * DAY_MS);
  const parameters = resolveSimulationOptions(options, clock);
  const { world } = options;
  const ids = new RunIds(parameters.runTag);
  const content = ContentTruth.forWorld(parameters.seed, world);
  const supply = new ContentSupply(parameters.seed, world, content, ids, parameters);

  const lapsedAtStart = new Set(
    world.users
      .filter((u) => u.lapsedAfterMs !== undefined && u.lapsedAfterMs < parameters.startMs)
      .map((u) => u.id),
  );
  const users = sampleUsers(world.users, parameters.users, parameters.seed).map(
    (person) =>
      new SimulatedUser(person, parameters.seed, parameters.startMs, lapsedAtStart.has(person.id)),
  );
  const takingPart = new Set(users.map((u) => u.id));
  for (const id of lapsedAtStart) if (!takingPart.has(id)) lapsedAtStart.delete(id);

  const handle = createServiceClient(
    gatewayv1.FeedGatewayServiceDefinition,
    options.gatewayAddress,
    {
      deadlineMs: CALL_DEADLINE_MS,
      bearerToken: options.token,
    },
  );
  const publisher = new EventPublisher(handle.client);
  const sessions = new SessionRunner({
    gateway: handle.client,
    publisher,
    ids,
    clock,
    content,
    parameters,
  });

  const endMs = parameters.startMs + parameters.days * DAY_MS;
  let nextDay = parameters.startMs + DAY_MS;
  let day = 0;
  try {
    for (let stepStart = parameters.startMs; stepStart < endMs; stepStart += parameters.tickMs) {
      const stepEnd = Math.min(stepStart + parameters.tickMs, endMs);
      clock.advanceTo(stepStart);
      await publisher.publish(supply.step(stepStart, stepEnd - stepStart, clock.now()));
      const due = users
        .filter((user) => user.nextAtMs < stepEnd)
        .sort((a, b) => a.nextAtMs - b.nextAtMs || (a.id < b.id ? -1 : 1));
      await inPool(due, parameters.concurrency, (user) =>
        user.lapsed ? sessions.glance(user) : sessions.visit(user),
      );
      if (options.settle) await options.settle();
      if (stepEnd >= nextDay || stepEnd >= endMs) {
        options.onDay?.(day, dayProgress(users, day));
        day += 1;
        nextDay += DAY_MS;
      }
    }
  } finally {
    handle.close();
  }

  return summarize({
    parameters,
    users,
    lapsedAtStart,
    endMs,
    wallMs: Math.round(performance.now() - wallStart),
    published: publisher.tally(),
    content: { postsCreated: supply.postsCreated, newCreators: supply.blogsCreated },
    perUser: options.perUser ?? false,
  });
}

/** `count` users, a seeded sample in id order (all of them when count is the world's size). */
function sampleUsers<T extends { id: string }>(
  all: readonly T[],
  count: number,
  seed: number,
): T[] {
  if (count >= all.length) return [...all];
  return [...all]
    .map((user) => ({ user, key: hash32(`${seed}|sample|${user.id}`) }))
    .sort((a, b) => a.key - b.key)
    .slice(0, count)
    .map((entry) => entry.user)
    .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}

function dayProgress(users: readonly SimulatedUser[], day: number) {
  let sessions = 0;
  let impressions = 0;
  let engagements = 0;
  for (const user of users) {
    sessions += user.record.sessions;
    impressions += user.record.impressions;
    engagements += user.record.engagedItems;
  }
  const activeUsers = users.filter((u) => u.record.activeDays.has(day)).length;
  return { sessions, impressions, engagements, activeUsers };
}

/** Runs `work` over `items`, at most `concurrency` at once, starting them in order. */
async function inPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  });
  await Promise.all(lanes);
}
