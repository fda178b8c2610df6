import { commonv1 } from '@feedmesh/contracts';
import { waitFor } from '@feedmesh/testing';
import type { GatewayClient } from './mesh.js';
import { smallWorld } from './small-world.js';

/**
 * Publishes the small world through the gateway and waits until the mesh has consumed it:
 * its posts are searchable, reader's dashboard shows the blog reader follows, and a user
 * never seen before gets a ranked feed with nothing degraded.
 */
export async function loadSmallWorld(gateway: GatewayClient, timeoutMs = 60_000): Promise<void> {
  const world = smallWorld(Date.now());
  for (let i = 0; i < world.length; i += 200) {
    await gateway.publishEvents({ events: world.slice(i, i + 200) });
  }
  let attempt = 0;
  await waitFor(
    'the small world to be consumed by every service',
    async () => {
      const hits = await gateway.search({
        userId: '',
        query: 'charcoal',
        tags: [],
        blogId: '',
        order: 0,
        pageSize: 10,
        cursor: '',
      });
      const feed = (userId: string, surface: commonv1.Surface) =>
        gateway.getFeed({ userId, surface, tag: '', pageSize: 20, cursor: '' });
      const dashboard = await feed('reader', commonv1.Surface.SURFACE_DASHBOARD);
      const cold = await feed(`world-check-${attempt++}`, commonv1.Surface.SURFACE_FOR_YOU);
      return (
        hits.totalHits >= 8 &&
        dashboard.items.some((item) => item.blogId === 'alice-art') &&
        cold.items.length > 0 &&
        cold.model !== '' &&
        cold.degraded.length === 0
      );
    },
    { timeoutMs, intervalMs: 250 },
  );
}
