import assert from 'node:assert/strict';
import { InvalidArgumentError, NotFoundError } from '@feedmesh/errors';
import { heuristicModel } from './heuristic.model.js';
import type { LogisticModelDocument } from './model-document.js';
import {
  CurrentVersionChangedError,
  PROMOTION_HISTORY_LENGTH,
  type ModelRegistry,
  type ModelRegistryOptions,
} from './model-registry.js';

export interface RegistryUnderTest {
  readonly registry: ModelRegistry;
  close(): Promise<void>;
}

function modelWith(intercept: number): LogisticModelDocument {
  const base = heuristicModel();
  return {
    ...base,
    description: `test model ${intercept}`,
    objectives: base.objectives.map((o) => ({ ...o, intercept })),
  };
}

/**
 * What every ModelRegistry must do, written once and run against each implementation.
 * `make` builds an empty registry with the given options.
 */
export function modelRegistryContract(
  label: string,
  make: (options: ModelRegistryOptions) => Promise<RegistryUnderTest>,
): void {
  describe(`ModelRegistry contract: ${label}`, () => {
    let subject: RegistryUnderTest;
    let now = 1_700_000_000_000;
    const clock = () => now;

    beforeEach(async () => {
      subject = await make({ clock, maxVersionsPerName: 3 });
    });
    afterEach(() => subject.close());

    it('numbers versions per name and stores the metadata it was given', async () => {
      const { registry } = subject;
      const first = await registry.publish('feed', modelWith(-1), {
        trainedAtMs: 1_000,
        metrics: { auc_like: 0.71, logloss_like: 0.4 },
        notes: { run: 'a' },
      });
      now += 5;
      const second = await registry.publish('feed', modelWith(-2), { trainedAtMs: 2_000 });
      const other = await registry.publish('explore', modelWith(-3), { trainedAtMs: 3_000 });
      assert.equal(first.version, 'v1');
      assert.equal(second.version, 'v2');
      assert.equal(other.version, 'v1');
      assert.deepEqual(first.metrics, { auc_like: 0.71, logloss_like: 0.4 });
      assert.deepEqual(first.notes, { run: 'a' });
      assert.equal(first.family, 'logistic');
      assert.equal(first.trainedAtMs, 1_000);
      assert.equal(second.publishedAtMs, first.publishedAtMs + 5);
      assert.deepEqual(
        first.featureNames,
        heuristicModel().features.map((f) => f.name),
      );
      assert.deepEqual(first.objectives, ['like', 'reblog', 'reply', 'follow', 'hide']);
    });

    it('returns the stored parameters of a version, not a later one', async () => {
      const { registry } = subject;
      await registry.publish('feed', modelWith(-1), { trainedAtMs: 1 });
      await registry.publish('feed', modelWith(-2), { trainedAtMs: 2 });
      const stored = await registry.get('feed', 'v1');
      assert.ok(stored);
      assert.equal(stored.info.version, 'v1');
      assert.equal(stored.model.family, 'logistic');
      assert.equal(stored.model.objectives[0]?.intercept, -1);
      assert.equal(await registry.get('feed', 'v9'), undefined);
      assert.equal(await registry.get('nothing', 'v1'), undefined);
    });

    it('has no current version until one is promoted', async () => {
      const { registry } = subject;
      await registry.publish('feed', modelWith(-1), { trainedAtMs: 1 });
      assert.equal(await registry.current('feed'), undefined);
      assert.equal((await registry.currentVersions()).size, 0);
    });

    it('moves the current pointer on promote, forward and back', async () => {
      const { registry } = subject;
      await registry.publish('feed', modelWith(-1), { trainedAtMs: 1, promote: true });
      await registry.publish('feed', modelWith(-2), { trainedAtMs: 2 });
      assert.equal((await registry.current('feed'))?.version, 'v1');
      await registry.promote('feed', 'v2');
      assert.equal((await registry.current('feed'))?.version, 'v2');
      await registry.promote('feed', 'v1');
      assert.equal((await registry.current('feed'))?.version, 'v1');
      await registry.publish('explore', modelWith(-3), { trainedAtMs: 3, promote: true });
      assert.deepEqual([...(await registry.currentVersions())].sort(), [
        ['explore', 'v1'],
        ['feed', 'v1'],
      ]);
    });

    it('refuses to promote a version it does not store', async () => {
      const { registry } = subject;
      await registry.publish('feed', modelWith(-1), { trainedAtMs: 1, promote: true });
      await assert.rejects(registry.promote('feed', 'v7'), NotFoundError);
      await assert.rejects(registry.promote('ghost', 'v1'), NotFoundError);
      assert.equal((await registry.current('feed'))?.version, 'v1');
    });

    it('promotes over an expected current version only while it is still current (compare-and-set)', async () => {
      const { registry } = subject;
      await registry.publish('feed', modelWith(-1), { trainedAtMs: 1, promote: true });
      await registry.publish('feed', modelWith(-2), { trainedAtMs: 2 });
      await registry.publish('feed', modelWith(-3), { trainedAtMs: 3 });
      await registry.promote('feed', 'v2', { expectedCurrent: 'v1' });
      assert.equal((await registry.current('feed'))?.version, 'v2');
      // A second run that also read v1 loses: current moved to v2 since.
      const error = await registry
        .promote('feed', 'v3', { expectedCurrent: 'v1' })
        .catch((e: unknown) => e);
      assert.ok(error instanceof CurrentVersionChangedError, String(error));
      assert.equal(error.model, 'feed');
      assert.equal(error.expected, 'v1');
      assert.equal(error.actual, 'v2');
      assert.match(error.message, /feed.*v2.*v1/);
      assert.equal((await registry.current('feed'))?.version, 'v2');
      // Without an expectation it moves whatever is current (an operator's rollback).
      await registry.promote('feed', 'v1');
      assert.equal((await registry.current('feed'))?.version, 'v1');
    });

    it('promotes expecting no current version only while the name has none', async () => {
      const { registry } = subject;
      await registry.publish('feed', modelWith(-1), { trainedAtMs: 1 });
      await registry.publish('feed', modelWith(-2), { trainedAtMs: 2 });
      await registry.promote('feed', 'v1', { expectedCurrent: null });
      const error = await registry
        .promote('feed', 'v2', { expectedCurrent: null })
        .catch((e: unknown) => e);
      assert.ok(error instanceof CurrentVersionChangedError, String(error));
      assert.equal(error.expected, null);
      assert.equal(error.actual, 'v1');
      assert.equal((await registry.current('feed'))?.version, 'v1');
    });

    it('lets exactly one of two racing promotions over the same current version win', async () => {
      const { registry } = subject;
      await registry.publish('feed', modelWith(-1), { trainedAtMs: 1, promote: true });
      await registry.publish('feed', modelWith(-2), { trainedAtMs: 2 });
      await registry.publish('feed', modelWith(-3), { trainedAtMs: 3 });
      const outcomes = await Promise.allSettled([
        registry.promote('feed', 'v2', { expectedCurrent: 'v1' }),
        registry.promote('feed', 'v3', { expectedCurrent: 'v1' }),
      ]);
      const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [`v${i + 2}`] : []));
      assert.equal(won.length, 1, JSON.stringify(outcomes));
      const lost = outcomes.find((o) => o.status === 'rejected');
      assert.ok(lost?.status === 'rejected' && lost.reason instanceof CurrentVersionChangedError);
      assert.equal((await registry.current('feed'))?.version, won[0]);
      // The history records the winner only, as the pointer moved.
      assert.deepEqual(
        (await registry.history('feed')).map((p) => p.version),
        [won[0], 'v1'],
      );
    });

    it('remembers each promotion, newest first, with its time, per name', async () => {
      const { registry } = subject;
      const start = now;
      await registry.publish('feed', modelWith(-1), { trainedAtMs: 1, promote: true });
      await registry.publish('feed', modelWith(-2), { trainedAtMs: 2 });
      now += 10;
      await registry.promote('feed', 'v2', { expectedCurrent: 'v1' });
      now += 10;
      await registry.promote('feed', 'v1'); // an operator's rollback
      now += 10;
      await registry.publish('feed', modelWith(-3), { trainedAtMs: 3, promote: true });
      await registry.publish('explore', modelWith(-4), { trainedAtMs: 4, promote: true });
      assert.deepEqual(await registry.history('feed'), [
        { version: 'v3', promotedAtMs: start + 30 },
        { version: 'v1', promotedAtMs: start + 20 },
        { version: 'v2', promotedAtMs: start + 10 },
        { version: 'v1', promotedAtMs: start },
      ]);
      assert.deepEqual(await registry.history('explore'), [
        { version: 'v1', promotedAtMs: start + 30 },
      ]);
      assert.deepEqual(await registry.history('ghost'), []);
    });

    it(`keeps only the last ${PROMOTION_HISTORY_LENGTH} promotions of a name`, async () => {
      const { registry } = subject;
      const start = now;
      await registry.publish('feed', modelWith(-1), { trainedAtMs: 1 });
      await registry.publish('feed', modelWith(-2), { trainedAtMs: 2 });
      const promotions = PROMOTION_HISTORY_LENGTH + 3;
      for (let i = 0; i < promotions; i += 1) {
        now = start + i;
        await registry.promote('feed', i % 2 === 0 ? 'v1' : 'v2');
      }
      const history = await registry.history('feed');
      assert.equal(history.length, PROMOTION_HISTORY_LENGTH);
      assert.deepEqual(
        history.map((p) => p.promotedAtMs),
        Array.from({ length: PROMOTION_HISTORY_LENGTH }, (_, i) => start + promotions - 1 - i),
      );
      assert.equal(history[0]?.version, (await registry.current('feed'))?.version);
    });

    it('records no promotion it refused, nor one to the version already current', async () => {
      const { registry } = subject;
      await registry.publish('feed', modelWith(-1), { trainedAtMs: 1, promote: true });
      await registry.publish('feed', modelWith(-2), { trainedAtMs: 2 });
      await assert.rejects(registry.promote('feed', 'v7'), NotFoundError);
      await assert.rejects(
        registry.promote('feed', 'v2', { expectedCurrent: null }),
        CurrentVersionChangedError,
      );
      now += 10;
      await registry.promote('feed', 'v1');
      await registry.promote('feed', 'v1', { expectedCurrent: 'v1' });
      await assert.rejects(registry.promote('ghost', 'v1'), NotFoundError);
      assert.deepEqual(
        (await registry.history('feed')).map((p) => p.version),
        ['v1'],
      );
      assert.deepEqual(await registry.history('ghost'), []);
    });

    it('never prunes the version promoted before the current one, what a ranker falls back to', async () => {
      const { registry } = subject;
      await registry.publish('feed', modelWith(-1), { trainedAtMs: 1, promote: true });
      await registry.publish('feed', modelWith(-2), { trainedAtMs: 2, promote: true });
      for (let i = 3; i <= 6; i += 1) {
        await registry.publish('feed', modelWith(-i), { trainedAtMs: i });
      }
      assert.deepEqual(
        (await registry.list('feed')).map((v) => v.version),
        ['v6', 'v2', 'v1'],
      );
      // A rollback makes v2 the one before the current: v1 is current, so both stay.
      await registry.promote('feed', 'v1');
      await registry.publish('feed', modelWith(-7), { trainedAtMs: 7 });
      assert.deepEqual(
        (await registry.list('feed')).map((v) => v.version),
        ['v7', 'v2', 'v1'],
      );
      assert.ok(await registry.get('feed', 'v2'));
    });

    it('lists versions by name, newest first, and marks nothing it was not given', async () => {
      const { registry } = subject;
      await registry.publish('feed', modelWith(-1), { trainedAtMs: 1 });
      await registry.publish('feed', modelWith(-2), { trainedAtMs: 2 });
      await registry.publish('a-model', modelWith(-3), { trainedAtMs: 3 });
      const all = await registry.list();
      assert.deepEqual(
        all.map((v) => `${v.name}@${v.version}`),
        ['a-model@v1', 'feed@v2', 'feed@v1'],
      );
      const feed = await registry.list('feed');
      assert.deepEqual(
        feed.map((v) => v.version),
        ['v2', 'v1'],
      );
      assert.deepEqual(await registry.list('ghost'), []);
    });

    it('keeps at most maxVersionsPerName versions, never dropping the current one', async () => {
      const { registry } = subject;
      await registry.publish('feed', modelWith(-1), { trainedAtMs: 1, promote: true });
      for (let i = 2; i <= 5; i += 1) {
        await registry.publish('feed', modelWith(-i), { trainedAtMs: i });
      }
      const versions = (await registry.list('feed')).map((v) => v.version);
      assert.deepEqual(versions, ['v5', 'v4', 'v1']);
      assert.equal(await registry.get('feed', 'v2'), undefined);
      assert.ok(await registry.get('feed', 'v1'));
      // Numbers are never reused after a prune.
      assert.equal(
        (await registry.publish('feed', modelWith(-6), { trainedAtMs: 6 })).version,
        'v6',
      );
    });

    it('rejects a malformed model or name with the path of what is wrong', async () => {
      const { registry } = subject;
      const broken = { ...modelWith(-1), normalization: { mean: [0], scale: [1] } };
      const error = await registry
        .publish('feed', broken, { trainedAtMs: 1 })
        .catch((e: unknown) => e);
      assert.ok(error instanceof InvalidArgumentError);
      assert.equal(error.field, 'normalization.mean');
      const badName = await registry
        .publish('no spaces', modelWith(-1), { trainedAtMs: 1 })
        .catch((e: unknown) => e);
      assert.ok(badName instanceof InvalidArgumentError);
      assert.equal(badName.field, 'name');
      await assert.rejects(
        registry.publish('heuristic', modelWith(-1), { trainedAtMs: 1 }),
        InvalidArgumentError,
      );
      assert.deepEqual(await registry.list(), []);
    });

    it('leaves out metrics that are not finite (AUC of a one-class slice)', async () => {
      const { registry } = subject;
      const info = await registry.publish('feed', modelWith(-1), {
        trainedAtMs: 1,
        metrics: { auc_hide: Number.NaN, auc_like: 0.8 },
      });
      assert.deepEqual(info.metrics, { auc_like: 0.8 });
      assert.deepEqual((await registry.get('feed', 'v1'))?.info.metrics, { auc_like: 0.8 });
    });
  });
}
