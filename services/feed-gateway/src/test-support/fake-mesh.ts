import { candidatesv1, featuresv1, notificationv1, rankerv1, searchv1 } from '@feedmesh/contracts';
import { createLogger } from '@feedmesh/telemetry';
import { UnavailableError } from '@feedmesh/errors';
import {
  bindService,
  requireIds,
  startGrpcServer,
  type RunningServer,
} from '@feedmesh/service-kit';

/**
 * Stand-ins for the gateway's downstream services, served over real gRPC on 127.0.0.1:0, so
 * the gateway's pipeline is tested through its real clients. Each answer is a field a test
 * sets; `down` makes a service fail with UNAVAILABLE. The real services are tested end to
 * end in test/.
 */
export class FakeMesh {
  /** What candidate-generation proposes, best first. */
  candidates: candidatesv1.Candidate[] = [];
  userFeatures: Partial<featuresv1.GetUserFeaturesResponse> = {};
  deletedPosts = new Set<string>();
  /** Posts whose blog the feature store calls a new creator's (`blog.is_new_creator`). */
  newCreatorPosts = new Set<string>();
  /** Posts the feature store scores as spam (`post.spam_score` 1). */
  spamPosts = new Set<string>();
  /** Posts the feature store does not know: their `post.value` is flagged missing. */
  unknownPosts = new Set<string>();
  /** Post id -> ranker value. */
  rankerValues = new Map<string, number>();
  /** The ranker answers nothing until its caller gives up on the call. */
  rankerHangs = false;
  /** The ranker answers one value fewer than the rows it was sent (a broken ranker). */
  rankerShort = false;
  /** The feature store answers one row fewer than the posts it was asked (a broken store). */
  featuresShort = false;
  searchHits: searchv1.SearchHit[] = [];
  down = new Set<'feature-store' | 'candidate-generation' | 'ranker' | 'search' | 'notification'>();
  generateRequests: candidatesv1.GenerateRequest[] = [];
  describeRequests: candidatesv1.DescribePostsRequest[] = [];
  /** DescribePosts alone fails (UNAVAILABLE) while Generate answers. */
  describeDown = false;
  rankRequests: rankerv1.RankRequest[] = [];
  private server: RunningServer | undefined;

  get address(): string {
    if (!this.server) throw new Error('FakeMesh not started');
    return this.server.address;
  }

  async start(): Promise<this> {
    const fail = (name: typeof this.down extends Set<infer N> ? N : never) => {
      if (this.down.has(name)) throw new UnavailableError(name, 'down for the test');
    };
    this.server = await startGrpcServer({
      name: 'fake-mesh',
      listen: '127.0.0.1:0',
      maxMessageBytes: 16 * 1024 * 1024,
      unaryTimeoutMs: 5_000,
      drainTimeoutMs: 500,
      logger: createLogger('fake-mesh', { level: 'silent' }),
      services: [
        bindService(featuresv1.FeatureStoreServiceDefinition, {
          getUserFeatures: async (request) => {
            fail('feature-store');
            return {
              schema: 'test',
              features: { names: ['user.x'], values: [1], missing: Buffer.alloc(1) },
              interests: [],
              servedPostIds: [],
              engagedPostIds: [],
              hiddenPostIds: [],
              blockedBlogIds: [],
              followedBlogIds: [],
              ownBlogIds: [],
              lastSessionAtMs: 0,
              known: request.userId !== 'stranger',
              ...this.userFeatures,
            };
          },
          getFeatures: async (request) => {
            fail('feature-store');
            // As the real store: one bad id refuses the whole request.
            requireIds(request.postIds, 'post_ids', 5_000);
            const postIds = this.featuresShort ? request.postIds.slice(1) : request.postIds;
            const names = ['post.deleted', 'post.value', 'blog.is_new_creator', 'post.spam_score'];
            const values = postIds.flatMap((id) => [
              this.deletedPosts.has(id) ? 1 : 0,
              this.rankerValues.get(id) ?? 0,
              this.newCreatorPosts.has(id) ? 1 : 0,
              this.spamPosts.has(id) ? 1 : 0,
            ]);
            const missing = Buffer.alloc(Math.ceil(values.length / 8));
            postIds.forEach((id, row) => {
              const at = row * names.length + 1;
              if (this.unknownPosts.has(id)) missing[at >> 3]! |= 1 << (at & 7);
            });
            return {
              schema: 'test',
              user: { names: ['user.x'], values: [1], missing: Buffer.alloc(1) },
              candidates: { names, rows: postIds.length, values, missing },
            };
          },
        }),
        bindService(candidatesv1.CandidateGenerationServiceDefinition, {
          generate: async (request) => {
            fail('candidate-generation');
            this.generateRequests.push(request);
            // As the real service: sources skip the excluded posts, at most max_candidates come
            // back (best first, as listed), and the ranking view leaves the display fields out.
            const exclude = new Set(request.excludePostIds);
            const proposed = this.candidates
              .filter((c) => !exclude.has(c.postId))
              .slice(0, request.maxCandidates);
            const ranking = request.view === candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING;
            const candidates = ranking
              ? proposed.map((c) => ({ ...c, summary: '', tags: [] }))
              : proposed;
            return { candidates, sources: [] };
          },
          // Display fields from the test's candidates (the generator's view aside); as the real
          // service, deleted posts are left out, and one bad id refuses the whole request.
          describePosts: async (request) => {
            fail('candidate-generation');
            if (this.describeDown) throw new UnavailableError('describe', 'down for the test');
            requireIds(request.postIds, 'post_ids', 500);
            this.describeRequests.push(request);
            const byId = new Map(
              this.candidates
                .filter((c) => !this.deletedPosts.has(c.postId))
                .map((c) => [c.postId, c]),
            );
            return {
              posts: request.postIds.flatMap((postId) => {
                const c = byId.get(postId);
                return c === undefined
                  ? []
                  : [
                      {
                        postId,
                        blogId: c.blogId,
                        tags: c.tags,
                        summary: c.summary,
                        createdAtMs: c.createdAtMs,
                        reblogOf: c.reblogOf,
                      },
                    ];
              }),
            };
          },
          trending: async () => ({ tags: [], posts: [] }),
        }),
        bindService(rankerv1.RankerServiceDefinition, {
          rank: async (request, context) => {
            fail('ranker');
            this.rankRequests.push(request);
            if (this.rankerHangs) {
              await new Promise((_, reject) =>
                context.signal.addEventListener('abort', () =>
                  reject(new UnavailableError('ranker', 'the caller gave up')),
                ),
              );
            }
            // Scores come from the features the gateway sent: proves rows stay aligned.
            const matrix = request.candidates!;
            const width = matrix.names.length;
            const valueAt = matrix.names.indexOf('post.value');
            const values = Array.from(
              { length: this.rankerShort ? matrix.rows - 1 : matrix.rows },
              (_, row) => matrix.values[row * width + valueAt] ?? 0,
            );
            return { model: 'feed', modelVersion: 'v1', objectives: [], probabilities: [], values };
          },
          listModels: async () => ({ models: [] }),
        }),
        bindService(searchv1.SearchServiceDefinition, {
          search: async () => {
            fail('search');
            return { hits: this.searchHits, totalHits: this.searchHits.length, nextCursor: '' };
          },
          suggest: async () => ({ suggestions: [] }),
        }),
        bindService(notificationv1.NotificationServiceDefinition, {
          listInbox: async () => ({ notifications: [], nextCursor: '', unreadCount: 0 }),
          markRead: async () => ({ unreadCount: 0 }),
          async *subscribe() {},
          getPreferences: async () => ({ preferences: undefined }),
          setPreferences: async (request) => ({ preferences: request.preferences }),
        }),
      ],
    });
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.shutdown();
  }
}

export function candidate(
  postId: string,
  blogId: string,
  sources: Array<[string, number]>,
  extra: Partial<candidatesv1.Candidate> = {},
): candidatesv1.Candidate {
  return {
    postId,
    blogId,
    sources: sources.map(([source, score]) => ({ source, score, reason: `${source} reason` })),
    createdAtMs: 1_700_000_000_000,
    reblogOf: '',
    tags: ['art'],
    summary: `post ${postId}`,
    ...extra,
  };
}
