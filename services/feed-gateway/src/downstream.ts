import {
  candidatesv1,
  notificationv1,
  packedFeatureStoreDefinition,
  packedRankerDefinition,
  searchv1,
} from '@feedmesh/contracts';
import {
  createServiceClient,
  type ClientHandle,
  type ServiceClient,
  type TlsMaterial,
} from '@feedmesh/service-kit';

/**
 * The feature store and the ranker are called through the packed definitions (same wire
 * format): GetFeatures' matrix arrives as a Float32Array and goes on to Rank as one, a copy
 * each way instead of a thousand rows of floats decoded and encoded one by one.
 */
export type FeatureStoreClient = ServiceClient<typeof packedFeatureStoreDefinition>;
export type CandidateGenerationClient = ServiceClient<
  typeof candidatesv1.CandidateGenerationServiceDefinition
>;
export type RankerClient = ServiceClient<typeof packedRankerDefinition>;
export type SearchClient = ServiceClient<typeof searchv1.SearchServiceDefinition>;
export type NotificationClient = ServiceClient<typeof notificationv1.NotificationServiceDefinition>;

/** The gateway's clients of every service it fans out to. */
export interface Downstream {
  readonly featureStore: FeatureStoreClient;
  readonly candidates: CandidateGenerationClient;
  readonly ranker: RankerClient;
  readonly search: SearchClient;
  readonly notification: NotificationClient;
  close(): void;
}

export interface DownstreamAddresses {
  readonly featureStore: string;
  readonly candidates: string;
  readonly ranker: string;
  readonly search: string;
  readonly notification: string;
}

/**
 * Every call made through these clients names its own deadline (the stage's budget); the
 * client default only guards calls that forget to.
 */
export function connectDownstream(
  addresses: DownstreamAddresses,
  defaultDeadlineMs: number,
  tls?: TlsMaterial,
): Downstream {
  const options = { deadlineMs: defaultDeadlineMs, retryMaxAttempts: 2, tls };
  const handles: ClientHandle<never>[] = [];
  const connect = <D extends Parameters<typeof createServiceClient>[0]>(
    definition: D,
    address: string,
  ) => {
    const handle = createServiceClient(definition, address, options);
    handles.push(handle as unknown as ClientHandle<never>);
    return handle.client;
  };
  return {
    featureStore: connect(packedFeatureStoreDefinition, addresses.featureStore),
    candidates: connect(candidatesv1.CandidateGenerationServiceDefinition, addresses.candidates),
    ranker: connect(packedRankerDefinition, addresses.ranker),
    search: connect(searchv1.SearchServiceDefinition, addresses.search),
    notification: connect(notificationv1.NotificationServiceDefinition, addresses.notification),
    close: () => handles.forEach((handle) => handle.close()),
  };
}
