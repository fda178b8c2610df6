import assert from 'node:assert/strict';
import type { eventsv1 } from '@feedmesh/contracts';
import { InMemoryContentModelStore } from '@feedmesh/content';
import { InMemoryEmbeddingStore } from '@feedmesh/embeddings';
import {
  createRuntime,
  loadConfig,
  type Logger,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { testRedis, testRedisUrl, uniquePrefix } from '@feedmesh/testing';
import { AbortError } from 'abort-controller-x';
import {
  CONSUMER_GROUP,
  candidateGenerationConfigShape,
  startCandidateGeneration,
  type CandidateGenerationConfig,
} from './index.js';
import { blogCreated, engagement, postCreated } from './test-fixtures/events.js';
import { DAY, NOW } from './test-fixtures/world.js';

const EVENTS = 5_000;

/** A blog, 500 posts and their likes: a rebuild of several thousand events. */
function manyEvents(): eventsv1.Event[] {
  const events: eventsv1.Event[] = [blogCreated('b1', NOW - 100 * DAY)];
  for (let i = 0; i < 500; i++) {
    events.push(postCreated(`p${i}`, 'b1', NOW - DAY + i, { tags: [`t${i % 20}`] }));
  }
  for (let i = events.length; i < EVENTS; i++) {
    events.push(engagement(`u${i % 300}`, `p${i % 500}`, NOW - DAY + i));
  }
  return events;
}

/** The `msg` and fields of each line a logger wrote; `onLine` sees each as it is written. */
function recordingLogger(onLine: (msg: string) => void = () => undefined): {
  logger: Logger;
  lines: { msg: string; events?: number }[];
} {
  const lines: { msg: string; events?: number }[] = [];
  const logger = createLogger('test', {
    level: 'info',
    destination: {
      write(text: string) {
        const line = JSON.parse(text) as { msg: string; events?: number };
        lines.push(line);
        onLine(line.msg);
      },
    },
  });
  return { logger, lines };
}

for (const mode of ['embedded', 'Redis'] as const) {
  describe(`candidate-generation asked to stop while it starts (${mode})`, () => {
    let runtime: Runtime;
    let config: CandidateGenerationConfig;
    let server: RunningServer | undefined;
    const prefix = uniquePrefix('cg-abort');

    before(async () => {
      config = loadConfig(candidateGenerationConfigShape, {
        GRPC_LISTEN: '127.0.0.1:0',
        REDIS_PREFIX: prefix,
        EVENT_PARTITIONS: '4',
        CONSUMER_NAME: 'test-consumer',
        ...(mode === 'Redis' ? { REDIS_URL: testRedisUrl() } : {}),
      });
      runtime = createRuntime(config, createLogger('test', { level: 'silent' }));
      await runtime.eventLog.append(manyEvents());
    });

    afterEach(async () => {
      // Only a start that ignored its signal leaves a server behind.
      await server?.shutdown();
      server = undefined;
    });

    after(async () => {
      await runtime?.close();
      if (mode === 'Redis') await testRedis(prefix).cleanup();
    });

    /** The consumers still running on the log, and those its group lists in the store. */
    async function consumersLeft(): Promise<{ running: number; listed: string[] }> {
      const status = (await runtime.eventLog.groups()).find((g) => g.group === CONSUMER_GROUP);
      return {
        running: runtime.eventLog.consumers().length,
        listed: status?.consumers.map((consumer) => consumer.name) ?? [],
      };
    }

    /** Starts with `signal`, expecting the start to reject with the signal's abort. */
    async function startAborted(
      controller: AbortController,
      options: { logger: Logger; contentModelStore?: InMemoryContentModelStore },
    ): Promise<void> {
      await assert.rejects(
        async () => {
          server = await startCandidateGeneration({
            config,
            runtime,
            logger: options.logger,
            clock: () => NOW,
            embeddingStore: new InMemoryEmbeddingStore(),
            contentModelStore: options.contentModelStore ?? new InMemoryContentModelStore(),
            signal: controller.signal,
          });
        },
        (error) => {
          assert.equal(error, controller.signal.reason, 'the abort itself, rethrown');
          return true;
        },
      );
    }

    it('rejects with the abort, having joined no group, when its signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort(new AbortError());
      const { logger, lines } = recordingLogger();
      await startAborted(controller, { logger });
      assert.deepEqual(await consumersLeft(), { running: 0, listed: [] });
      assert.deepEqual(
        lines.map((line) => line.msg),
        [],
        'it neither rebuilt nor listened',
      );
    });

    it('stops the rebuild short of the whole log when aborted during it, its consumer stopped and gone from the group', async () => {
      const controller = new AbortController();
      // Aborted on the next turn of the event loop after the rebuild begins: as a SIGTERM
      // comes, between two of the rebuild's steps rather than inside one.
      const { logger, lines } = recordingLogger((msg) => {
        if (msg === 'rebuilding candidate indexes from the log') {
          setImmediate(() => controller.abort(new AbortError()));
        }
      });
      await startAborted(controller, { logger });
      const messages = lines.map((line) => line.msg);
      assert.ok(!messages.includes('candidate indexes rebuilt from the log'), messages.join('\n'));
      assert.ok(!messages.includes('candidate-generation listening'), messages.join('\n'));
      const stopped = lines.find((line) => line.msg === 'candidate indexes rebuild aborted');
      assert.ok(stopped, messages.join('\n'));
      assert.ok(stopped.events! < EVENTS, `it read ${stopped.events} of ${EVENTS} events`);
      assert.deepEqual(await consumersLeft(), { running: 0, listed: [] });
    });

    it('does not rebuild when aborted while the content models load', async () => {
      const controller = new AbortController();
      class AbortedWhileLoading extends InMemoryContentModelStore {
        override current() {
          controller.abort(new AbortError());
          return super.current();
        }
      }
      const { logger, lines } = recordingLogger();
      await startAborted(controller, { logger, contentModelStore: new AbortedWhileLoading() });
      const messages = lines.map((line) => line.msg);
      assert.ok(
        !messages.includes('rebuilding candidate indexes from the log'),
        messages.join('\n'),
      );
      assert.deepEqual(await consumersLeft(), { running: 0, listed: [] });
    });

    it('does not serve when aborted once the rebuild is done', async () => {
      const controller = new AbortController();
      const { logger, lines } = recordingLogger((msg) => {
        if (msg === 'candidate indexes rebuilt from the log') controller.abort(new AbortError());
      });
      await startAborted(controller, { logger });
      const messages = lines.map((line) => line.msg);
      assert.ok(!messages.includes('candidate-generation listening'), messages.join('\n'));
      assert.deepEqual(await consumersLeft(), { running: 0, listed: [] });
    });
  });
}
