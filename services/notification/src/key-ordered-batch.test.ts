import assert from 'node:assert/strict';
import { runKeyOrdered, type OrderingKeys } from './key-ordered-batch.js';

interface Item {
  readonly name: string;
  readonly keys: OrderingKeys;
  /** Ticks (setImmediate turns) the task takes. */
  readonly ticks?: number;
  readonly fails?: boolean;
}

async function ticks(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Runs the items, recording when each started and ended. */
async function run(items: readonly Item[]) {
  const log: string[] = [];
  const failures = await runKeyOrdered(
    items,
    (item) => item.keys,
    async (item) => {
      log.push(`start ${item.name}`);
      await ticks(item.ticks ?? 1);
      log.push(`end ${item.name}`);
      if (item.fails) throw new Error(`${item.name} failed`);
    },
  );
  return { log, failures };
}

describe('runKeyOrdered', () => {
  it('runs items sharing a key one after another, in the order given', async () => {
    const { log } = await run([
      { name: 'a1', keys: { exclusive: ['u:a'] }, ticks: 3 },
      { name: 'a2', keys: { exclusive: ['u:a', 'p:1'] }, ticks: 1 },
      { name: 'p1', keys: { exclusive: ['p:1'] }, ticks: 1 },
    ]);
    assert.deepEqual(log, ['start a1', 'end a1', 'start a2', 'end a2', 'start p1', 'end p1']);
  });

  it('overlaps items with no key in common', async () => {
    const { log } = await run([
      { name: 'a', keys: { exclusive: ['u:a'] }, ticks: 3 },
      { name: 'b', keys: { exclusive: ['u:b'] }, ticks: 1 },
      { name: 'none', keys: { exclusive: [] }, ticks: 1 },
    ]);
    assert.deepEqual(log.slice(0, 3), ['start a', 'start b', 'start none']);
    assert.equal(log.at(-1), 'end a');
  });

  it('overlaps items that only share a key, and orders them with those changing it', async () => {
    const { log } = await run([
      { name: 'post', keys: { exclusive: ['p:1'] }, ticks: 2 },
      { name: 'like a', keys: { exclusive: ['u:a'], shared: ['p:1'] }, ticks: 3 },
      { name: 'like b', keys: { exclusive: ['u:b'], shared: ['p:1'] }, ticks: 1 },
      { name: 'delete', keys: { exclusive: ['p:1'] } },
    ]);
    assert.deepEqual(log, [
      'start post',
      'end post',
      'start like a',
      'start like b',
      'end like b',
      'end like a',
      'start delete',
      'end delete',
    ]);
  });

  it('runs a barrier after everything before it and before everything after it', async () => {
    const { log } = await run([
      { name: 'a', keys: { exclusive: ['u:a'] }, ticks: 3 },
      { name: 'b', keys: { exclusive: ['u:b'] }, ticks: 1 },
      { name: 'barrier', keys: 'barrier' },
      { name: 'c', keys: { exclusive: ['u:c'] } },
      { name: 'a again', keys: { exclusive: ['u:a'] } },
    ]);
    const barrierStart = log.indexOf('start barrier');
    assert.ok(log.indexOf('end a') < barrierStart && log.indexOf('end b') < barrierStart);
    const barrierEnd = log.indexOf('end barrier');
    assert.ok(barrierEnd < log.indexOf('start c') && barrierEnd < log.indexOf('start a again'));
  });

  it('reports failures by index and still runs what came after them', async () => {
    const { log, failures } = await run([
      { name: 'a1', keys: { exclusive: ['u:a'] }, fails: true },
      { name: 'a2', keys: { exclusive: ['u:a'] } },
      { name: 'barrier', keys: 'barrier', fails: true },
      { name: 'b', keys: { exclusive: ['u:b'] } },
    ]);
    assert.deepEqual(
      failures.map((f) => [f.index, (f.error as Error).message]),
      [
        [0, 'a1 failed'],
        [2, 'barrier failed'],
      ],
    );
    assert.ok(log.includes('end a2') && log.includes('end b'));
  });

  it('resolves at once for an empty batch', async () => {
    assert.deepEqual(await run([]), { log: [], failures: [] });
  });
});
