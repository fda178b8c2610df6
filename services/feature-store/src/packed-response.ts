// The packed GetFeatures codec lives in @feedmesh/contracts (the gateway decodes with it too);
// the feature store's server and bench client take it from here.
export {
  decodeFeaturesResponse,
  encodeFeaturesResponse,
  PackedGetFeaturesResponse,
  packedFeatureStoreDefinition,
  type PackedFeaturesResponse,
} from '@feedmesh/contracts';
