import { candidatesv1, featuresv1, notificationv1, rankerv1, searchv1 } from '@feedmesh/contracts';
import {
  createServiceClient,
  type ClientHandle,
  type ServiceClient,
  type TlsMaterial,
} from '@feedmesh/service-kit';

export type FeatureStoreClient = ServiceClient<typeof featuresv1.FeatureStoreServiceDefinition>;
export type CandidateGenerationClient = ServiceClient<
  typeof candidatesv1.CandidateGenerationServiceDefinition
>;
export type RankerClient = ServiceClient<typeof rankerv1.RankerServiceDefinition>;
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
    featureStore: connect(featuresv1.FeatureStoreServiceDefinition, addresses.featureStore),
    candidates: connect(candidatesv1.CandidateGenerationServiceDefinition, addresses.candidates),
    ranker: connect(rankerv1.RankerServiceDefinition, addresses.ranker),
    search: connect(searchv1.SearchServiceDefinition, addresses.search),
    notification: connect(notificationv1.NotificationServiceDefinition, addresses.notification),
    close: () => handles.forEach((handle) => handle.close()),
  };
}
