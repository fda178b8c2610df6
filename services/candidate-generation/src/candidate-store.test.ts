import { candidateStoreContract, CONTRACT_LIMITS } from './candidate-store.contract.js';
import { InMemoryCandidateStore } from './in-memory-candidate-store.js';

candidateStoreContract('in memory', async () => ({
  store: new InMemoryCandidateStore(CONTRACT_LIMITS),
  cleanup: async () => undefined,
}));
