import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { ephemeralRangeStart, freePorts } from './free-ports.js';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('freePorts (ports given to processes before they start)', () => {
  it('hands out distinct ports below the ephemeral range that a server can then take', async () => {
    const ports = await freePorts(8);
    assert.equal(new Set(ports).size, 8);
    for (const port of ports) {
      assert.ok(port >= 20_000 && port < ephemeralRangeStart(), `${port} is outside the range`);
    }
    const servers = await Promise.all(ports.map(listen));
    await Promise.all(servers.map(close));
  });

  it('never hands out a port something listens on', async () => {
    const [taken] = await freePorts(1);
    const server = await listen(taken!);
    try {
      await assert.rejects(freePorts(1, { min: taken!, max: taken! }), /found 0 of 1 free ports/);
      const ports = await freePorts(2, { min: taken!, max: taken! + 2 });
      assert.deepEqual(
        [...ports].sort((a, b) => a - b),
        [taken! + 1, taken! + 2],
      );
    } finally {
      await close(server);
    }
  });

  it('keeps the ports at the given offsets free too (a Redis Cluster bus port)', async () => {
    const ports = await freePorts(3, { min: 10_000, offsets: [10_000] });
    for (const port of ports) {
      assert.ok(port + 10_000 < ephemeralRangeStart(), `bus port ${port + 10_000} is ephemeral`);
      const servers = await Promise.all([listen(port), listen(port + 10_000)]);
      await Promise.all(servers.map(close));
    }
  });

  it('says so when the range cannot hold the ports', async () => {
    await assert.rejects(
      freePorts(3, { min: 20_000, max: 20_001 }),
      /no room for 3 ports in 20000-20001/,
    );
    await assert.rejects(freePorts(-1), /count must be a non-negative integer/);
  });
});
