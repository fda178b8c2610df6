import { featuresv1 } from '@feedmesh/contracts';
import { bindService, type RunningServer } from '@feedmesh/service-kit';
import { startTestGrpcServer } from '@feedmesh/testing';

/**
 * A feature store with one canned user, for testing `features` and `profile` over real gRPC.
 * Like the real store it ranks tags and blogs in one list and cuts it, and every id list, at
 * the request's max_list_size; it records the requests it got.
 */
export interface FakeFeatureStore {
  readonly address: string;
  readonly userRequests: featuresv1.GetUserFeaturesRequest[];
  user: featuresv1.GetUserFeaturesResponse;
  stop(): Promise<void>;
}

export async function startFakeFeatureStore(): Promise<FakeFeatureStore> {
  let server: RunningServer | undefined;
  const fake: FakeFeatureStore = {
    address: '',
    userRequests: [],
    user: featuresv1.GetUserFeaturesResponse.fromPartial({}),
    stop: async () => server?.shutdown('test over'),
  };
  server = await startTestGrpcServer('fake-feature-store', [
    bindService(featuresv1.FeatureStoreServiceDefinition, {
      async getFeatures() {
        return featuresv1.GetFeaturesResponse.fromPartial({ schema: fake.user.schema });
      },
      async getUserFeatures(request) {
        fake.userRequests.push(request);
        const limit = request.maxListSize || 500;
        const user = fake.user;
        return {
          ...user,
          interests: [...user.interests].sort((a, b) => b.weight - a.weight).slice(0, limit),
          followedBlogIds: user.followedBlogIds.slice(0, limit),
          servedPostIds: user.servedPostIds.slice(0, limit),
        };
      },
    }),
  ]);
  return Object.assign(fake, { address: server.address });
}
