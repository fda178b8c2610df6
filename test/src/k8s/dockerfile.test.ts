import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  parseDockerfile,
  parseDockerignore,
  substitute,
  type Dockerfile,
  type Stage,
} from './support/dockerfile.js';
import { RUN_AS_USER } from './support/feedmesh-services.js';
import { parseImage } from './support/kustomize.js';
import { REPO_ROOT, RENDERING_NAMES, rendering } from './support/renderings.js';
import { workloads } from './support/workloads.js';

/** The folders of services/ with a process entry: what SERVICE may name. */
async function buildableServices(): Promise<string[]> {
  const names = await readdir(join(REPO_ROOT, 'services'));
  const found: string[] = [];
  for (const name of names.sort()) {
    const files = await readdir(join(REPO_ROOT, 'services', name, 'src')).catch((): string[] => []);
    if (files.includes('main.ts')) found.push(name);
  }
  return found;
}

function runs(stage: Stage): string[] {
  return stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
}

describe('k8s: the Dockerfile builds any service into a non-root image without a shell', () => {
  let dockerfile: Dockerfile;
  let final: Stage;
  before(async () => {
    dockerfile = parseDockerfile(await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    final = dockerfile.stages[dockerfile.stages.length - 1]!;
  });

  it('builds on Node.js 20 in stages, and runs on a Node.js 20 image of its own', () => {
    assert.ok(dockerfile.stages.length >= 2, 'multi-stage');
    const first = substitute(dockerfile.stages[0]!.from, dockerfile.globalArgs);
    assert.match(first, /^node:20[.-]/, 'the build stage is Node.js 20');
    const runtime = substitute(final.from, dockerfile.globalArgs);
    assert.match(runtime, /nodejs20/, `the runtime image ${runtime} is Node.js 20`);
    assert.ok(
      !dockerfile.stages.slice(0, -1).some((s) => s.name === undefined),
      'build stages are named',
    );
  });

  it('installs with the pinned pnpm from the lockfile, builds, and deploys the service with production dependencies only', async () => {
    const { packageManager } = JSON.parse(
      await readFile(join(REPO_ROOT, 'package.json'), 'utf8'),
    ) as {
      packageManager: string;
    };
    const commands = dockerfile.stages.flatMap(runs);
    const pnpm = `npx -y ${packageManager}`;
    assert.ok(
      commands.some((c) => c.startsWith(`${pnpm} install --frozen-lockfile`)),
      `${pnpm} install --frozen-lockfile`,
    );
    assert.ok(commands.includes('npm run build'));
    assert.ok(
      commands.some((c) =>
        c.startsWith(
          `${pnpm} --filter "@feedmesh/$SERVICE" deploy --prod "/out/services/$SERVICE"`,
        ),
      ),
      'pnpm deploy of the one service, --prod',
    );
    // SERVICE is read only after the shared install and build, so those layers serve every service.
    const buildStage = dockerfile.stages[0]!;
    assert.ok(
      !buildStage.instructions.some((i) => i.keyword === 'ARG' && i.args.startsWith('SERVICE')),
    );
  });

  it("runs services/$SERVICE/dist/main.js for every service, as the manifests' uid, in exec form", async () => {
    const workdir = final.instructions.find((i) => i.keyword === 'WORKDIR')?.args;
    const cmd = final.instructions.find((i) => i.keyword === 'CMD');
    const user = final.instructions.find((i) => i.keyword === 'USER')?.args;
    assert.equal(user, `${RUN_AS_USER}:${RUN_AS_USER}`);
    assert.ok(cmd?.exec, 'CMD in exec form: no shell at run time');
    assert.equal(
      final.instructions.find((i) => i.keyword === 'ENTRYPOINT'),
      undefined,
      "the base image's node",
    );
    assert.ok(
      !final.instructions.some((i) => i.keyword === 'RUN'),
      'nothing runs in the runtime stage',
    );
    assert.ok(final.instructions.some((i) => i.keyword === 'ARG' && i.args === 'SERVICE'));
    const copy = final.instructions.find((i) => i.keyword === 'COPY')?.args;
    assert.equal(copy, '--from=deploy /out /app');

    const services = await buildableServices();
    assert.deepEqual(services, [
      'candidate-generation',
      'feature-store',
      'feed-gateway',
      'notification',
      'ranker',
      'search',
      'trainer',
    ]);
    for (const service of services) {
      const dir = substitute(workdir ?? '', { SERVICE: service });
      const entry = join(dir, cmd.exec[0]!);
      assert.equal(entry, `/app/services/${service}/dist/main.js`);
    }
  });

  it('every Feedmesh image the manifests run is one this Dockerfile builds', async () => {
    const services = await buildableServices();
    const used = new Set<string>();
    for (const name of RENDERING_NAMES) {
      for (const target of workloads((await rendering(name)).objects)) {
        for (const container of target.containers) {
          const service = /^feedmesh\/(.+)$/.exec(parseImage(container.image ?? '').name)?.[1];
          if (service !== undefined) used.add(service);
        }
      }
    }
    assert.deepEqual([...used].sort(), services, 'every service deployed, and nothing else');
  });

  it('.dockerignore keeps node_modules, build output and history out of the context', async () => {
    const patterns = parseDockerignore(await readFile(join(REPO_ROOT, '.dockerignore'), 'utf8'));
    for (const required of ['**/node_modules', '**/dist', '.git']) {
      assert.ok(patterns.includes(required), required);
    }
    // The build needs every package.json, the lockfile and the sources.
    for (const needed of [
      'package.json',
      'pnpm-lock.yaml',
      'libs',
      'services',
      'proto',
      'test',
      'tools',
    ]) {
      assert.ok(!patterns.includes(needed), `${needed} is part of the build context`);
    }
  });
});
