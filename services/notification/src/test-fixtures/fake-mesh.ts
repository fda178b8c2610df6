import { candidatesv1, featuresv1, rankerv1 } from '@feedmesh/contracts';
import { UnavailableError } from '@feedmesh/errors';
import { bindService, type RunningServer } from '@feedmesh/service-kit';
import { startTestGrpcServer } from '@feedmesh/testing';

/** A post as the fake candidate generation proposes it, and the value the fake ranker gives it. */
export interface FakePost {
  readonly postId: string;
  readonly blogId: string;
  readonly createdAtMs: number;
  /** The fake ranker's value for it: larger is better. */
  readonly value: number;
  /** Its rank within its source: the degraded order (larger first). */
  readonly sourceScore?: number;
  readonly tags?: readonly string[];
}

/**
 * Candidate generation, the feature store and the ranker, served for real over gRPC on
 * 127.0.0.1:0 by one in-test server, answering from what the test put in. Each can be told to
 * fail, as a service that is down does (UNAVAILABLE).
 */
export class FakeMesh {
  /** Candidates per user; users not listed get none. */
  readonly candidates = new Map<string, FakePost[]>();
  trending: candidatesv1.TrendingResponse = { tags: [], posts: [] };
  readonly down = { candidates: false, features: false, ranker: false };
  readonly calls = { generate: [] as candidatesv1.GenerateRequest[], rank: 0, trending: 0 };

  private constructor(private readonly server: RunningServer) {}

  get address(): string {
    return this.server.address;
  }

  /** The variables that point the notification service at this mesh. */
  get env(): Record<string, string> {
    return {
      CANDIDATE_GENERATION_ADDR: this.address,
      FEATURE_STORE_ADDR: this.address,
      RANKER_ADDR: this.address,
      NOTIFICATION_DOWNSTREAM_DEADLINE_MS: '2000',
    };
  }

  static async start(): Promise<FakeMesh> {
    let mesh: FakeMesh | undefined;
    const current = (): FakeMesh => {
      if (mesh === undefined) throw new UnavailableError('fake-mesh', 'not started');
      return mesh;
    };
    const server = await startTestGrpcServer('fake-mesh', [
      bindService(candidatesv1.CandidateGenerationServiceDefinition, {
        generate: async (request) => current().generate(request),
        trending: async () => current().answerTrending(),
        describePosts: async () => {
          throw new UnavailableError('fake-candidate-generation', 'not served');
        },
      }),
      bindService(featuresv1.FeatureStoreServiceDefinition, {
        getFeatures: async (request) => current().features(request),
        getUserFeatures: async () => {
          throw new UnavailableError('fake-feature-store', 'not served');
        },
      }),
      bindService(rankerv1.RankerServiceDefinition, {
        rank: async (request) => current().rank(request),
        listModels: async () => ({ models: [] }),
      }),
    ]);
    mesh = new FakeMesh(server);
    return mesh;
  }

  shutdown(): Promise<void> {
    return this.server.shutdown();
  }

  private generate(request: candidatesv1.GenerateRequest): candidatesv1.GenerateResponse {
    this.calls.generate.push(request);
    if (this.down.candidates) throw new UnavailableError('fake-candidates', 'down');
    const posts = (this.candidates.get(request.userId) ?? []).slice(0, request.maxCandidates);
    return {
      candidates: posts.map((post) => ({
        postId: post.postId,
        blogId: post.blogId,
        sources: [{ source: 'following', score: post.sourceScore ?? 0, reason: 'you follow' }],
        createdAtMs: post.createdAtMs,
        reblogOf: '',
        tags: [...(post.tags ?? [])],
        summary: '',
      })),
      sources: [],
    };
  }

  private answerTrending(): candidatesv1.TrendingResponse {
    this.calls.trending += 1;
    if (this.down.candidates) throw new UnavailableError('fake-candidates', 'down');
    return this.trending;
  }

  /** One column, `post.fake_value`: the value the fake ranker passes through. */
  private features(request: featuresv1.GetFeaturesRequest): featuresv1.GetFeaturesResponse {
    if (this.down.features) throw new UnavailableError('fake-features', 'down');
    const all = [...this.candidates.values()].flat();
    const values = request.postIds.map(
      (postId) => all.find((p) => p.postId === postId)?.value ?? 0,
    );
    return {
      schema: 'fake-1',
      user: { names: [], values: [], missing: Buffer.alloc(0) },
      candidates: {
        names: ['post.fake_value'],
        rows: values.length,
        values,
        missing: Buffer.alloc(0),
      },
    };
  }

  private rank(request: rankerv1.RankRequest): rankerv1.RankResponse {
    this.calls.rank += 1;
    if (this.down.ranker) throw new UnavailableError('fake-ranker', 'down');
    const values = request.candidates?.values ?? [];
    return {
      model: request.model || 'feed',
      modelVersion: 'v7',
      objectives: [],
      probabilities: [],
      values: [...values],
    };
  }
}
