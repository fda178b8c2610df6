import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@feedmesh/testing';
import { cpuTimeMs, serviceChildren, startCpuMeter } from './process-cpu.js';

describe('process CPU', function () {
  this.timeout(20_000);

  it('counts the CPU time a process burns', () => {
    const meter = startCpuMeter([{ name: 'self', pid: process.pid }]);
    const before = process.cpuUsage();
    let spin = 0;
    while ((process.cpuUsage(before).user + process.cpuUsage(before).system) / 1000 < 100) spin++;
    const [usage] = meter.stop();
    assert.ok(spin > 0);
    assert.ok(usage !== undefined && usage.cpuMs >= 50, `counted ${usage?.cpuMs} ms`);
  });

  it('knows nothing of a process that is gone', () => {
    assert.equal(cpuTimeMs(2 ** 22 + 12_345), undefined);
  });

  it('finds its own service children by the main they run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-feed-'));
    const main = join(dir, 'services', 'ranker', 'dist', 'main.js');
    mkdirSync(join(dir, 'services', 'ranker', 'dist'), { recursive: true });
    writeFileSync(main, 'setTimeout(() => {}, 60_000);');
    const child = spawn(process.execPath, [main], { stdio: 'ignore' });
    try {
      const found = await waitFor('the child to be listed', () =>
        serviceChildren().find((p) => p.pid === child.pid),
      );
      assert.equal(found?.name, 'ranker');
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
