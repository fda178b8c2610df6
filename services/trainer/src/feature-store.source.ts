import { featuresv1 } from '@feedmesh/contracts';
import { createServiceClient, type ClientHandle, type TlsMaterial } from '@feedmesh/service-kit';
import type { FeatureRows, FeatureSource } from './feature-source.js';

/** The feature store's GetFeatures, as a FeatureSource. */
export class FeatureStoreFeatureSource implements FeatureSource {
  /** GetFeatures' limit on post ids per call. */
  readonly maxPostsPerCall = 5_000;
  private readonly handle: ClientHandle<typeof featuresv1.FeatureStoreServiceDefinition>;

  constructor(address: string, options: { deadlineMs: number; tls?: TlsMaterial | undefined }) {
    this.handle = createServiceClient(featuresv1.FeatureStoreServiceDefinition, address, {
      deadlineMs: options.deadlineMs,
      retryMaxAttempts: 3,
      tls: options.tls,
    });
  }

  async getFeatures(userId: string, postIds: readonly string[]): Promise<FeatureRows> {
    const response = await this.handle.client.getFeatures({ userId, postIds: [...postIds] });
    return {
      schema: response.schema,
      user: response.user ?? { names: [], values: [], missing: Buffer.alloc(0) },
      candidates: response.candidates ?? {
        names: [],
        rows: postIds.length,
        values: [],
        missing: Buffer.alloc(0),
      },
    };
  }

  close(): void {
    this.handle.close();
  }
}
