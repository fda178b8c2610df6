/** A config with two layers, as an operator would write it: the tests' common example. */
export const EXAMPLE_CONFIG = `
layers:
  - id: ranking
    description: which model scores the feed
    experiments:
      - key: feed-model-v2
        namespace: [0, 0.5]
        startAt: 2026-11-01T00:00:00Z
        variants:
          - { name: control, weight: 0.5 }
          - name: treatment
            weight: 0.5
            overrides:
              model: feed-v2
              objectiveWeights: { like: 1, reblog: 2, hide: -4 }
      - key: objective-weights
        namespace: [0.5, 1]
        coverage: 0.5
        variants:
          - name: control
          - name: reblog-heavy
            overrides:
              objectiveWeights: { reblog: 3 }
  - id: mixing
    experiments:
      - key: new-creator-quota
        seed: ncq-2026-11
        variants:
          - { name: control, weight: 0.34 }
          - name: quota-10
            weight: 0.33
            overrides: { mixer: { newCreatorShare: 0.1 }, sourceBudgets: { fresh: { maxCandidates: 80, timeoutMs: 40 } } }
          - name: quota-20
            weight: 0.33
            overrides: { mixer: { newCreatorShare: 0.2 }, sourceBudgets: { fresh: { maxCandidates: 120 } } }
`;
