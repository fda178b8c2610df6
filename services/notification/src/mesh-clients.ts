import { candidatesv1, featuresv1, rankerv1 } from '@feedmesh/contracts';
import { createServiceClient, type ServiceClient, type TlsMaterial } from '@feedmesh/service-kit';

export type CandidatesClient = ServiceClient<
  typeof candidatesv1.CandidateGenerationServiceDefinition
>;
export type FeaturesClient = ServiceClient<typeof featuresv1.FeatureStoreServiceDefinition>;
export type RankerClient = ServiceClient<typeof rankerv1.RankerServiceDefinition>;

/** The services the periodic jobs call: reactivation and trending go through their contracts. */
export interface MeshClients {
  readonly candidates: CandidatesClient;
  readonly features: FeaturesClient;
  readonly ranker: RankerClient;
  close(): void;
}

export interface MeshAddresses {
  readonly candidateGeneration: string;
  readonly featureStore: string;
  readonly ranker: string;
}

/**
 * Channels connect on first use: a service that is down costs nothing until a job needs it.
 * With `tls`, calls use the mesh's mutual TLS.
 */
export function connectMesh(
  addresses: MeshAddresses,
  deadlineMs: number,
  tls?: TlsMaterial,
): MeshClients {
  const options = { deadlineMs, tls };
  const handles = [
    createServiceClient(
      candidatesv1.CandidateGenerationServiceDefinition,
      addresses.candidateGeneration,
      options,
    ),
    createServiceClient(featuresv1.FeatureStoreServiceDefinition, addresses.featureStore, options),
    createServiceClient(rankerv1.RankerServiceDefinition, addresses.ranker, options),
  ] as const;
  return {
    candidates: handles[0].client,
    features: handles[1].client,
    ranker: handles[2].client,
    close: () => handles.forEach((handle) => handle.close()),
  };
}
