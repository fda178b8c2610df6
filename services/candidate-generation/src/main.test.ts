import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { eventsv1 } from '@feedmesh/contracts';
import { createRuntime, type Runtime } from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { testRedis, testRedisUrl, uniquePrefix } from '@feedmesh/testing';
import { CONSUMER_GROUP } from './index.js';
import { blogCreated, engagement, postCreated } from './test-fixtures/events.js';
import { DAY, NOW } from './test-fixtures/world.js';

/** Enough history that the rebuild lasts seconds: far longer than a signal takes to arrive. */
const EVENTS = 50_000;

interface LogLine {
  msg: string;
  events?: number;
}

describe('candidate-generation process (node dist/main.js) stopped while it rebuilds', () => {
  const prefix = uniquePrefix('cg-main');
  const env = {
    REDIS_URL: testRedisUrl(),
    REDIS_PREFIX: prefix,
    EVENT_PARTITIONS: '4',
    CONSUMER_NAME: 'cg-main-1',
  };
  let runtime: Runtime;

  before(async () => {
    runtime = createRuntime(
      { ...env, REDIS_CLUSTER: false, EVENT_PARTITIONS: 4 },
      createLogger('test', { level: 'silent' }),
    );
    const events: eventsv1.Event[] = [blogCreated('b1', NOW - 100 * DAY)];
    for (let i = 0; i < 5_000; i++) {
      events.push(postCreated(`p${i}`, 'b1', NOW - DAY + i, { tags: [`t${i % 50}`] }));
    }
    for (let i = events.length; i < EVENTS; i++) {
      events.push(engagement(`u${i % 2_000}`, `p${i % 5_000}`, NOW - DAY + i));
    }
    for (let i = 0; i < events.length; i += 10_000) {
      await runtime.eventLog.append(events.slice(i, i + 10_000));
    }
  });

  after(async () => {
    await runtime?.close();
    await testRedis(prefix).cleanup();
  });

  it('exits 0 on SIGTERM without finishing the rebuild, logging "start aborted by SIGTERM", its consumer gone from the group', async () => {
    const child = spawn(process.execPath, [new URL('./main.js', import.meta.url).pathname], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process that hangs is killed, so it fails the test rather than outliving it.
      timeout: 30_000,
      killSignal: 'SIGKILL',
      env: {
        ...process.env,
        GRPC_LISTEN: '127.0.0.1:0',
        LOG_LEVEL: 'info',
        OTEL_SDK_DISABLED: 'true',
        ...env,
      },
    });
    try {
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
      const lines: LogLine[] = [];
      let stopped = false;
      createInterface({ input: child.stdout! }).on('line', (text) => {
        if (!text.startsWith('{')) return;
        const line = JSON.parse(text) as LogLine;
        lines.push(line);
        // Stopped as the rebuild begins (or, by a start that never says so, once it is done).
        const rebuilding = line.msg === 'rebuilding candidate indexes from the log';
        if (!stopped && (rebuilding || line.msg === 'candidate indexes rebuilt from the log')) {
          stopped = child.kill('SIGTERM');
        }
      });
      const [code, signal] = await closed;
      const messages = lines.map((line) => line.msg);
      assert.equal(signal, null, 'not ended by the signal itself');
      assert.equal(code, 0, stderr);
      assert.ok(
        messages.includes('candidate-generation start aborted by SIGTERM'),
        messages.join('\n'),
      );
      assert.ok(!messages.includes('candidate indexes rebuilt from the log'), messages.join('\n'));
      assert.ok(!messages.includes('candidate-generation listening'), messages.join('\n'));
      const aborted = lines.find((line) => line.msg === 'candidate indexes rebuild aborted');
      assert.ok(aborted, messages.join('\n'));
      assert.ok(aborted.events! < EVENTS, `it read ${aborted.events} of ${EVENTS} events`);
      const status = (await runtime.eventLog.groups()).find((g) => g.group === CONSUMER_GROUP);
      assert.deepEqual(
        status?.consumers.map((consumer) => consumer.name),
        [],
        'its consumer left the group',
      );
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
