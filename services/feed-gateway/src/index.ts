import { randomBytes } from 'node:crypto';
import { gatewayv1, rankerv1 } from '@feedmesh/contracts';
import {
  bearerTokenMiddleware,
  env,
  serverOptionsFrom,
  runtimeConfigShape,
  serverConfigShape,
  startGrpcServer,
  type Logger,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import { z } from 'zod';
import { connectDownstream } from './downstream.js';
import { CursorCodec } from './feed/cursor.js';
import { FeedExperiments } from './feed/feed-experiments.js';
import { FeedPipeline } from './feed/feed-pipeline.js';
import { feedGatewayService } from './gateway-service.js';
import { PersonalSearch } from './personal-search.js';

export const feedGatewayConfigShape = {
  ...serverConfigShape,
  ...runtimeConfigShape,
  FEATURE_STORE_ADDR: env.address('127.0.0.1:50053'),
  CANDIDATE_GENERATION_ADDR: env.address('127.0.0.1:50052'),
  RANKER_ADDR: env.address('127.0.0.1:50054'),
  SEARCH_ADDR: env.address('127.0.0.1:50055'),
  NOTIFICATION_ADDR: env.address('127.0.0.1:50056'),
  /** The whole GetFeed, ms; stages fail open past their share of it. */
  FEED_DEADLINE_MS: env.int(300, 20, 10_000),
  FEED_BUDGET_USER_CONTEXT_MS: env.int(60, 1, 10_000),
  FEED_BUDGET_CANDIDATES_MS: env.int(120, 1, 10_000),
  FEED_BUDGET_FEATURES_MS: env.int(80, 1, 10_000),
  FEED_BUDGET_RANKING_MS: env.int(80, 1, 10_000),
  FEED_BUDGET_DESCRIBE_MS: env.int(30, 1, 10_000),
  /** Candidates asked of candidate-generation per feed. */
  FEED_MAX_CANDIDATES: env.int(1_000, 1, 5_000),
  /** The ranker model the feed (and personal search) uses: a model name as the ranker takes it. */
  FEED_MODEL: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1-64 characters from [A-Za-z0-9_.:-]')
    .default('feed'),
  /**
   * The experiment config (YAML: layers, experiments, variants and their overrides; see
   * libs/experiments), reloaded when it changes. Unset: no experiments.
   */
  EXPERIMENTS_FILE: z.string().min(1).optional(),
  /** Score kept by a blog's k-th post on a page: decay^k. */
  FEED_AUTHOR_DIVERSITY_DECAY: z.coerce.number().gt(0).lte(1).default(0.5),
  /**
   * Share of a dashboard page for followed blogs (the rest recommendations) when both sides
   * have enough candidates; unset: score order decides.
   */
  FEED_IN_NETWORK_SHARE: z.coerce.number().min(0).max(1).optional(),
  /** Posts whose content spam score (post.spam_score, 0-1) reaches this are not served. */
  FEED_SPAM_THRESHOLD: z.coerce.number().gt(0).max(1).default(0.9),
  /** Share of each page reserved for new creators' posts when there are any. */
  FEED_NEW_CREATOR_SHARE: z.coerce.number().min(0).max(1).default(0.1),
  /** Lift of a brand-new post's score, 1 + boost halving every half-life (0: off). */
  FEED_FRESHNESS_BOOST: z.coerce.number().min(0).max(100).default(0),
  FEED_FRESHNESS_HALF_LIFE_HOURS: z.coerce.number().positive().max(8_760).default(6),
  /** Share of text relevance when search results are personalized (the rest is the ranker). */
  SEARCH_TEXT_WEIGHT: z.coerce.number().min(0).max(1).default(0.7),
  SEARCH_DEADLINE_MS: env.int(500, 20, 10_000),
  /**
   * Kept back from a caller's deadline (sent as grpc-timeout), ms: GetFeed and Search plan for
   * the smaller of their own deadline and what is left of the caller's less this, which is the
   * time the answer has to be finished and reach the caller after the last stage gave up.
   */
  GATEWAY_RESPONSE_MARGIN_MS: env.int(20, 0, 1_000),
  /**
   * Signs feed cursors. Replicas must share it, or a cursor from one is refused by another;
   * unset means a random secret per process (fine for one replica and the playground).
   */
  CURSOR_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * Tokens internal callers must present (`authorization: Bearer <token>`), comma-separated;
   * unset means no token is asked for (the playground, a network that authenticates callers).
   */
  GATEWAY_AUTH_TOKENS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((token) => token.trim())
        .filter(Boolean),
    )
    .refine((tokens) => tokens.length > 0, 'must list at least one token')
    .refine(
      (tokens) => tokens.every((token) => token.length >= 16),
      'every token must be at least 16 characters',
    )
    .optional(),
};

export type FeedGatewayConfig = Readonly<z.infer<z.ZodObject<typeof feedGatewayConfigShape>>>;

export interface FeedGatewayOptions {
  readonly config: FeedGatewayConfig;
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly clock?: () => number;
}

/** Objective weights of the feed's value when the experiment config names none. */
export const DEFAULT_OBJECTIVE_WEIGHTS: readonly rankerv1.ObjectiveWeight[] = [];

const STAGE_BUDGET_VARIABLES = [
  'FEED_BUDGET_USER_CONTEXT_MS',
  'FEED_BUDGET_CANDIDATES_MS',
  'FEED_BUDGET_FEATURES_MS',
  'FEED_BUDGET_RANKING_MS',
  'FEED_BUDGET_DESCRIBE_MS',
] as const;

type StageBudgetVariable = (typeof STAGE_BUDGET_VARIABLES)[number];

/**
 * Every stage budget variable set to `ms`: the environment of a gateway whose caller (a test,
 * a demo) is not about the budgets and must not see a feed degraded by a loaded machine.
 */
export function everyStageBudget(ms: number): Record<StageBudgetVariable, string> {
  return Object.fromEntries(STAGE_BUDGET_VARIABLES.map((name) => [name, String(ms)])) as Record<
    StageBudgetVariable,
    string
  >;
}

/**
 * A stage gets the smaller of its budget and what is left of FEED_DEADLINE_MS, so a budget
 * above the deadline only reads as more time than the stage can have (typically after
 * lowering the deadline and keeping the default budgets). Said at start rather than refused:
 * the service still behaves as configured.
 */
export function budgetsBeyondDeadline(config: FeedGatewayConfig): string[] {
  return STAGE_BUDGET_VARIABLES.filter((name) => config[name] > config.FEED_DEADLINE_MS).map(
    (name) =>
      `${name} (${config[name]} ms) is more than FEED_DEADLINE_MS (${config.FEED_DEADLINE_MS} ms): ` +
      'the stage gets at most what is left of the deadline',
  );
}

export async function startFeedGateway(options: FeedGatewayOptions): Promise<RunningServer> {
  const { config, runtime, logger } = options;
  const now = options.clock ?? Date.now;
  if (!config.CURSOR_SECRET) {
    logger.warn({}, 'CURSOR_SECRET is not set: cursors are signed with a per-process secret');
  }
  for (const warning of budgetsBeyondDeadline(config)) logger.warn({}, warning);
  // Read once: the server's TLS material is also what the gateway presents downstream.
  const serverOptions = serverOptionsFrom(config);
  const tls = serverOptions.tls;
  // Before the clients: a bad experiment config stops the start with nothing to close.
  const experiments = await FeedExperiments.open(config.EXPERIMENTS_FILE, logger);
  const downstream = connectDownstream(
    {
      featureStore: config.FEATURE_STORE_ADDR,
      candidates: config.CANDIDATE_GENERATION_ADDR,
      ranker: config.RANKER_ADDR,
      search: config.SEARCH_ADDR,
      notification: config.NOTIFICATION_ADDR,
    },
    config.FEED_DEADLINE_MS,
    tls,
  );
  const pipeline = new FeedPipeline({
    experiments,
    downstream,
    eventLog: runtime.eventLog,
    cursors: new CursorCodec(
      config.CURSOR_SECRET ? Buffer.from(config.CURSOR_SECRET) : randomBytes(32),
    ),
    logger,
    now,
    config: {
      deadlineMs: config.FEED_DEADLINE_MS,
      responseMarginMs: config.GATEWAY_RESPONSE_MARGIN_MS,
      budgets: {
        userContext: config.FEED_BUDGET_USER_CONTEXT_MS,
        candidates: config.FEED_BUDGET_CANDIDATES_MS,
        features: config.FEED_BUDGET_FEATURES_MS,
        ranking: config.FEED_BUDGET_RANKING_MS,
        describe: config.FEED_BUDGET_DESCRIBE_MS,
      },
      maxCandidates: config.FEED_MAX_CANDIDATES,
      model: config.FEED_MODEL,
      weights: DEFAULT_OBJECTIVE_WEIGHTS,
      spamThreshold: config.FEED_SPAM_THRESHOLD,
      mixer: {
        authorDiversityDecay: config.FEED_AUTHOR_DIVERSITY_DECAY,
        inNetworkShare: config.FEED_IN_NETWORK_SHARE,
        newCreatorShare: config.FEED_NEW_CREATOR_SHARE,
        freshnessBoost: config.FEED_FRESHNESS_BOOST,
        freshnessHalfLifeHours: config.FEED_FRESHNESS_HALF_LIFE_HOURS,
      },
    },
  });
  const search = new PersonalSearch(downstream, logger, {
    deadlineMs: config.SEARCH_DEADLINE_MS,
    responseMarginMs: config.GATEWAY_RESPONSE_MARGIN_MS,
    textWeight: config.SEARCH_TEXT_WEIGHT,
    model: config.FEED_MODEL,
  });
  const stop = async () => {
    experiments.close();
    await downstream.close();
  };
  return startGrpcServer({
    name: 'feed-gateway',
    ...serverOptions,
    logger,
    middleware: config.GATEWAY_AUTH_TOKENS
      ? [
          bearerTokenMiddleware({
            tokens: config.GATEWAY_AUTH_TOKENS,
            services: [gatewayv1.FeedGatewayServiceDefinition.fullName],
          }),
        ]
      : [],
    services: [
      feedGatewayService({ pipeline, search, downstream, eventLog: runtime.eventLog, now }),
    ],
    onShutdown: stop,
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
}
