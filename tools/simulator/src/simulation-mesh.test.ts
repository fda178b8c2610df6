import assert from 'node:assert/strict';
import { rankerv1 } from '@feedmesh/contracts';
import { createServiceClient } from '@feedmesh/service-kit';
import { createWorld } from '@feedmesh/world';
import { SimulatedClock } from './simulated-clock.js';
import { startSimulationMesh, type SimulationMesh } from './simulation-mesh.js';

describe('the simulation mesh', () => {
  let mesh: SimulationMesh | undefined;
  after(() => mesh?.shutdown());

  it('resolves train() once the ranker serves the version it promoted', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 10, 1));
    const world = createWorld({ preset: 'small', seed: 3, now: clock.now() });
    mesh = await startSimulationMesh({ clock });
    await mesh.publish(world.events());
    const report = await mesh.train();
    assert.equal(report.promoted, true, report.reason);
    const ranker = createServiceClient(rankerv1.RankerServiceDefinition, mesh.rankerAddress, {
      deadlineMs: 5_000,
    });
    try {
      // Asked at once, with no wait of its own: the promoted version is already the one served.
      const { models } = await ranker.client.listModels({});
      const served = models.find((m) => m.name === report.modelName && m.current);
      assert.equal(served?.version, report.version);
      assert.equal(served?.loaded, true);
    } finally {
      ranker.close();
    }
  });
});
