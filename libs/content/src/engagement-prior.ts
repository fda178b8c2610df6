import { InvalidArgumentError } from '@feedmesh/errors';

export interface EngagementExample {
  readonly features: readonly string[];
  /** What the post earned, e.g. log(1 + engagements). */
  readonly engagement: number;
}

export interface EngagementPriorOptions {
  /** L2 penalty of the ridge regression. */
  readonly lambda?: number;
  /** Features in fewer examples than this get no weight. */
  readonly minCount?: number;
  readonly iterations?: number;
}

export interface EngagementPriorJson {
  readonly format: 'feedmesh.engagement-prior/1';
  readonly intercept: number;
  readonly weights: Readonly<Record<string, number>>;
}

/**
 * How much engagement a post's content predicts before it has any: ridge regression of an
 * engagement target on binary content features (words, '#tags'), solved by conjugate
 * gradients. The cold-start complement of a similarity score: among posts equally near a
 * user's interests, the one whose content usually draws engagement goes first.
 */
export class EngagementPrior {
  readonly intercept: number;
  readonly #weights: Map<string, number>;

  private constructor(intercept: number, weights: Map<string, number>) {
    this.intercept = intercept;
    this.#weights = weights;
  }

  static train(
    examples: readonly EngagementExample[],
    options: EngagementPriorOptions = {},
  ): EngagementPrior {
    const lambda = options.lambda ?? 10;
    const minCount = options.minCount ?? 2;
    if (!(lambda > 0)) throw new InvalidArgumentError('lambda', 'must be positive');
    const counts = new Map<string, number>();
    for (const e of examples)
      for (const f of new Set(e.features)) counts.set(f, (counts.get(f) ?? 0) + 1);
    const names = [...counts]
      .filter(([, n]) => n >= minCount)
      .map(([f]) => f)
      .sort();
    const index = new Map(names.map((f, i) => [f, i]));
    const rows = examples.map((e) =>
      [...new Set(e.features)].map((f) => index.get(f)).filter((i): i is number => i !== undefined),
    );
    const intercept = examples.reduce((s, e) => s + e.engagement, 0) / Math.max(1, examples.length);
    const residual = examples.map((e) => e.engagement - intercept);
    const n = names.length;
    // Solve (XᵀX + λI) w = Xᵀy for binary rows X.
    const apply = (v: Float64Array): Float64Array => {
      const out = new Float64Array(n);
      for (const row of rows) {
        let xv = 0;
        for (const i of row) xv += v[i]!;
        for (const i of row) out[i]! += xv;
      }
      for (let i = 0; i < n; i++) out[i]! += lambda * v[i]!;
      return out;
    };
    const b = new Float64Array(n);
    rows.forEach((row, r) => {
      for (const i of row) b[i]! += residual[r]!;
    });
    const w = new Float64Array(n);
    const r = Float64Array.from(b);
    const p = Float64Array.from(b);
    let rr = r.reduce((s, x) => s + x * x, 0);
    for (let it = 0; it < (options.iterations ?? 50) && rr > 1e-12; it++) {
      const ap = apply(p);
      const alpha = rr / p.reduce((s, x, i) => s + x * ap[i]!, 0);
      for (let i = 0; i < n; i++) {
        w[i]! += alpha * p[i]!;
        r[i]! -= alpha * ap[i]!;
      }
      const next = r.reduce((s, x) => s + x * x, 0);
      for (let i = 0; i < n; i++) p[i] = r[i]! + (next / rr) * p[i]!;
      rr = next;
    }
    return new EngagementPrior(intercept, new Map(names.map((f, i) => [f, w[i]!])));
  }

  static fromJSON(json: EngagementPriorJson): EngagementPrior {
    return new EngagementPrior(json.intercept, new Map(Object.entries(json.weights)));
  }

  toJSON(): EngagementPriorJson {
    return {
      format: 'feedmesh.engagement-prior/1',
      intercept: this.intercept,
      weights: Object.fromEntries(this.#weights),
    };
  }

  /** Predicted engagement target of a post from its features. */
  predict(features: readonly string[]): number {
    let sum = this.intercept;
    for (const f of new Set(features)) sum += this.#weights.get(f) ?? 0;
    return sum;
  }

  /** The features that add most to the prediction, for explaining it. */
  topFeatures(limit = 20): Array<{ feature: string; weight: number }> {
    return [...this.#weights]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([feature, weight]) => ({ feature, weight }));
  }
}
