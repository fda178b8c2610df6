import assert from 'node:assert/strict';
import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { ConfigError } from '@feedmesh/errors';
import { isValidName } from '@feedmesh/events';
import { loadConfig } from './config.js';
import { createRuntime, defaultConsumerName, runtimeConfigShape } from './runtime.js';

const like: eventsv1.Event = {
  eventId: 'e1',
  atMs: 1_700_000_000_000,
  payload: {
    $case: 'engagement',
    value: { userId: 'u1', postId: 'p1', kind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE },
  },
};

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * With a runtime built from `env`: consumer "gone" fails the log's one event and stops, leaving
 * it pending; consumer "other" then runs until it applied it (or 10 s passed). What "other"
 * applied, and how many entries it took over.
 */
async function takenOverAfterAStop(
  env: Record<string, string>,
): Promise<{ applied: string[]; reclaimed: number }> {
  const runtime = createRuntime(loadConfig(runtimeConfigShape, env), silent);
  try {
    await runtime.eventLog.append([like]);
    let failed = 0;
    const gone = await runtime.eventLog.consume({
      group: 'g',
      consumer: 'gone',
      handler: async () => {
        failed += 1;
        throw new Error('not yet');
      },
    });
    while (failed === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await gone.stop();
    const started = Date.now();
    const applied: string[] = [];
    const other = await runtime.eventLog.consume({
      group: 'g',
      consumer: 'other',
      handler: async (event) => void applied.push(event.eventId),
    });
    while (applied.length === 0 && Date.now() - started < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await other.stop();
    return { applied, reclaimed: other.stats().reclaimed };
  } finally {
    await runtime.close();
  }
}

describe('the runtime (event log and Redis of a service process)', () => {
  it("hands EVENT_LOG_CLAIM_IDLE_MS to the event log as its consumers' claimIdleMs", async () => {
    const { applied, reclaimed } = await takenOverAfterAStop({ EVENT_LOG_CLAIM_IDLE_MS: '1000' });
    // Taken over after the configured second, not the default minute.
    assert.deepEqual(applied, ['e1']);
    assert.equal(reclaimed, 1);
  });

  it("hands EVENT_LOG_CONSUMER_TIMEOUT_MS to the event log as its consumers' consumerTimeoutMs", async () => {
    const { applied, reclaimed } = await takenOverAfterAStop({
      EVENT_LOG_CONSUMER_TIMEOUT_MS: '1000',
    });
    // Taken over once the stopped consumer was silent a second, not after the claim minute.
    assert.deepEqual(applied, ['e1']);
    assert.equal(reclaimed, 1);
  });

  it('refuses a consumer timeout under a second, naming the variable', () => {
    assert.throws(
      () => loadConfig(runtimeConfigShape, { EVENT_LOG_CONSUMER_TIMEOUT_MS: '500' }),
      (error: unknown) =>
        error instanceof ConfigError && error.variable === 'EVENT_LOG_CONSUMER_TIMEOUT_MS',
    );
  });

  it('refuses a CONSUMER_NAME the event log would refuse, naming the variable', () => {
    for (const name of ['pod/1', 'two words', 'x'.repeat(65)]) {
      assert.throws(
        () => loadConfig(runtimeConfigShape, { CONSUMER_NAME: name }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.variable === 'CONSUMER_NAME' &&
          /must be 1-64 characters of \[A-Za-z0-9_.:-\]/.test(error.message),
        name,
      );
    }
    const longest = 'a'.repeat(64);
    assert.equal(loadConfig(runtimeConfigShape, { CONSUMER_NAME: longest }).CONSUMER_NAME, longest);
  });

  it('defaults CONSUMER_NAME to host-pid made valid, with room for a suffix, for any host name', () => {
    assert.equal(defaultConsumerName('node-7', 42), 'node-7-42');
    for (const host of ['h'.repeat(253), 'pod name/with spaces', 'ünïcode.example', '']) {
      const name = defaultConsumerName(host, 4_194_304);
      assert.ok(isValidName(name), name);
      assert.ok(name.length <= 60, name);
      assert.ok(name.endsWith('-4194304'), name);
      assert.ok(isValidName(`${name}.16`), `${name}.16`);
    }
    assert.ok(isValidName(loadConfig(runtimeConfigShape, {}).CONSUMER_NAME));
  });

  it('refuses a LOG_LEVEL that names no level, naming the variable, and takes any case', () => {
    assert.throws(
      () => loadConfig(runtimeConfigShape, { LOG_LEVEL: 'bogus' }),
      (error: unknown) => error instanceof ConfigError && error.variable === 'LOG_LEVEL',
    );
    assert.equal(loadConfig(runtimeConfigShape, { LOG_LEVEL: 'WARN' }).LOG_LEVEL, 'WARN');
  });

  it('refuses a claim idle time under a second, naming the variable', () => {
    assert.throws(
      () => loadConfig(runtimeConfigShape, { EVENT_LOG_CLAIM_IDLE_MS: '0' }),
      (error: unknown) =>
        error instanceof ConfigError && error.variable === 'EVENT_LOG_CLAIM_IDLE_MS',
    );
  });
});
