/**
 * One way of reading features, timed in its own worker thread so that its garbage (and its
 * collector's pauses) stay out of the others' timings, as they would in separate processes.
 * The benchmark hands every worker the same request, one worker at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  encodeFeaturesResponse,
  featuresv1,
  packedFeatureStoreDefinition,
} from '@feedmesh/contracts';
import { createServiceClient } from '@feedmesh/service-kit';
import { Redis } from 'ioredis';
import { candidateMatrix, userVector } from '../feature-responses.js';
import { featureSchema } from '../feature-schema.js';
import { TrackedNearCache } from '../near-cache.js';
import { RedisFeatureStore } from '../redis-feature-store.js';
import { timed } from './latency.js';

/** What a worker reads with. */
export type ReadPath =
  'getFeatures' | 'getFeaturesGeneratedClient' | 'inProcess' | 'rawMget' | 'transportFloor';

export interface ReadWorkerData {
  readonly path: ReadPath;
  /** The feature store's address; for `transportFloor`, the floor server's (floor-serve.ts). */
  readonly address: string;
  readonly redisUrl: string;
  readonly prefix: string;
  readonly nowMs: number;
  /** Posts whose metas the in-process store learns before timing (the service knows them). */
  readonly posts: number;
}

/** A request: `keys` are what the raw path reads, the rest what the others ask for. */
export interface ReadRequest {
  readonly userId: string;
  readonly postIds: readonly string[];
  readonly keys: readonly string[];
}

const data = workerData as ReadWorkerData;
/** feed-gateway's client options (connectDownstream), with a deadline no read here reaches. */
const CLIENT = { deadlineMs: 10_000, retryMaxAttempts: 2 };
const port = parentPort!;

/** Prepares the path and returns the call to time, and what to close afterwards. */
async function prepare(): Promise<{
  call: (request: ReadRequest) => Promise<unknown>;
  close: () => Promise<void>;
}> {
  switch (data.path) {
    case 'getFeatures':
    case 'transportFloor':
    case 'getFeaturesGeneratedClient': {
      // service-kit's client, as feed-gateway connects to the feature store (connectDownstream):
      // with the packed definition the matrix arrives as typed arrays; with the generated one
      // (for callers that use it) ts-proto's decoder pushes one number per value.
      const handle =
        data.path !== 'getFeaturesGeneratedClient'
          ? createServiceClient(packedFeatureStoreDefinition, data.address, CLIENT)
          : createServiceClient(featuresv1.FeatureStoreServiceDefinition, data.address, CLIENT);
      return {
        call: ({ userId, postIds }) => handle.client.getFeatures({ userId, postIds: [...postIds] }),
        close: async () => handle.close(),
      };
    }
    case 'inProcess': {
      const redis = new Redis(data.redisUrl);
      // As the service runs by default (FEATURE_STORE_NEAR_CACHE_ENTRIES).
      const nearCache = await TrackedNearCache.open(redis, { maxEntries: 200_000 });
      const store = new RedisFeatureStore({
        redis,
        prefix: data.prefix,
        setCap: 1,
        interestCap: 1,
        nearCache,
      });
      // The service learned every post's meta while consuming the log; this store learns them
      // here, so both answer from a warm meta cache (one round trip).
      const ids = Array.from({ length: data.posts }, (_, i) => `p${i + 1}`);
      for (let from = 0; from < ids.length; from += 1_000) {
        await store.readCandidates(undefined, ids.slice(from, from + 1_000));
      }
      return {
        call: async ({ userId, postIds }) => {
          const states = await store.readCandidates(userId, postIds);
          const rows = Int32Array.from(postIds, (_, i) => i);
          return encodeFeaturesResponse({
            schema: featureSchema.version,
            user: userVector(states.user, data.nowMs),
            candidates: candidateMatrix(userId, states, postIds, data.nowMs, rows),
          });
        },
        close: async () => {
          await nearCache.close();
          await redis.quit();
        },
      };
    }
    case 'rawMget': {
      const redis = new Redis(data.redisUrl);
      return {
        call: ({ keys }) => redis.mgetBuffer(...keys),
        close: async () => {
          await redis.quit();
        },
      };
    }
  }
}

const { call, close } = await prepare();
port.on('message', (message: ReadRequest | 'close') => {
  if (message === 'close') {
    void close().then(() => port.close());
    return;
  }
  timed(() => call(message)).then(
    (ms) => port.postMessage({ ms }),
    (error: unknown) => port.postMessage({ error: String(error) }),
  );
});
port.postMessage({ ready: true });
