import {
  candidatesv1,
  commonv1,
  featuresv1,
  gatewayv1,
  notificationv1,
  rankerv1,
  searchv1,
  type eventsv1,
} from '@feedmesh/contracts';

const DASHBOARD = commonv1.Surface.SURFACE_DASHBOARD;
const now = () => Date.now();

const events = (): eventsv1.Event[] => [
  {
    eventId: 'seed-1',
    atMs: 0,
    payload: {
      $case: 'engagement',
      value: { userId: 'u1', postId: 'p1', kind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE },
    },
  },
  {
    eventId: 'seed-2',
    atMs: now() - 1000,
    payload: {
      $case: 'postCreated',
      value: {
        postId: 'p2',
        blogId: 'b1',
        text: 'hello world',
        tags: ['art'],
        mediaKind: 1,
        reblogOf: '',
      },
    },
  },
  {
    eventId: 'seed-3',
    atMs: 0,
    payload: {
      $case: 'impression',
      value: {
        userId: 'u1',
        postId: 'p2',
        requestId: 'r1',
        position: 0,
        surface: DASHBOARD,
        experiments: [{ experiment: 'e', variant: 'v' }],
        source: 'popular',
        model: 'feed@1',
        score: 0.5,
        featureSchema: 'fs-1',
        featureValues: [0.1, 0.2],
        featureMissing: Buffer.from([0b10]),
      },
    },
  },
  {
    eventId: 'seed-4',
    atMs: 0,
    payload: { $case: 'follow', value: { userId: 'u1', blogId: 'b1' } },
  },
];

const features = (): featuresv1.FeatureVector => ({
  names: ['user.likes_1d'],
  values: [1],
  missing: Buffer.alloc(0),
});

/**
 * Valid requests of every public RPC, encoded: the starting points of the mutating
 * generators (so most of their inputs get past the first check), keyed by method path.
 */
export function validRequests(): Record<string, Uint8Array[]> {
  return {
    '/feedmesh.gateway.v1.FeedGatewayService/GetFeed': [
      gatewayv1.GetFeedRequest.encode({
        userId: 'u1',
        surface: DASHBOARD,
        tag: '',
        pageSize: 20,
        cursor: '',
      }).finish(),
      gatewayv1.GetFeedRequest.encode({
        userId: 'u2',
        surface: commonv1.Surface.SURFACE_TAG,
        tag: 'art',
        pageSize: 5,
        cursor: '',
      }).finish(),
    ],
    '/feedmesh.gateway.v1.FeedGatewayService/Search': [
      gatewayv1.SearchRequest.encode({
        userId: 'u1',
        query: 'charcoal',
        tags: ['art'],
        blogId: '',
        order: 1,
        pageSize: 10,
        cursor: '',
      }).finish(),
    ],
    '/feedmesh.gateway.v1.FeedGatewayService/ListNotifications': [
      gatewayv1.ListNotificationsRequest.encode({
        userId: 'u1',
        pageSize: 20,
        cursor: '',
        unreadOnly: true,
      }).finish(),
    ],
    '/feedmesh.gateway.v1.FeedGatewayService/SubscribeNotifications': [
      gatewayv1.SubscribeNotificationsRequest.encode({
        userId: 'u1',
        afterNotificationId: '',
      }).finish(),
    ],
    '/feedmesh.gateway.v1.FeedGatewayService/MarkNotificationsRead': [
      gatewayv1.MarkNotificationsReadRequest.encode({
        userId: 'u1',
        notificationIds: ['n1'],
        all: false,
      }).finish(),
      gatewayv1.MarkNotificationsReadRequest.encode({
        userId: 'u1',
        notificationIds: [],
        all: true,
      }).finish(),
    ],
    '/feedmesh.gateway.v1.FeedGatewayService/PublishEvents': [
      gatewayv1.PublishEventsRequest.encode({ events: events() }).finish(),
    ],
    '/feedmesh.candidates.v1.CandidateGenerationService/Generate': [
      candidatesv1.GenerateRequest.encode({
        userId: 'u1',
        surface: DASHBOARD,
        tag: '',
        maxCandidates: 100,
        sourceBudgets: [{ source: 'popular', maxCandidates: 50, timeoutMs: 100 }],
        excludePostIds: ['p1'],
        view: candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING,
      }).finish(),
    ],
    '/feedmesh.candidates.v1.CandidateGenerationService/DescribePosts': [
      candidatesv1.DescribePostsRequest.encode({ postIds: ['p1', 'p2'] }).finish(),
    ],
    '/feedmesh.candidates.v1.CandidateGenerationService/Trending': [
      candidatesv1.TrendingRequest.encode({ limit: 10, windowS: 3600 }).finish(),
    ],
    '/feedmesh.features.v1.FeatureStoreService/GetFeatures': [
      featuresv1.GetFeaturesRequest.encode({ userId: 'u1', postIds: ['p1', 'p2', 'p1'] }).finish(),
    ],
    '/feedmesh.features.v1.FeatureStoreService/GetUserFeatures': [
      featuresv1.GetUserFeaturesRequest.encode({ userId: 'u1', maxListSize: 10 }).finish(),
    ],
    '/feedmesh.ranker.v1.RankerService/Rank': [
      rankerv1.RankRequest.encode({
        model: '',
        modelVersion: '',
        user: features(),
        candidates: {
          names: ['post.likes_1d', 'post.age_hours'],
          rows: 2,
          values: [1, 2, 3, 4],
          missing: Buffer.from([1]),
        },
        weights: [{ objective: rankerv1.Objective.OBJECTIVE_LIKE, weight: 1 }],
      }).finish(),
    ],
    '/feedmesh.ranker.v1.RankerService/ListModels': [
      rankerv1.ListModelsRequest.encode({}).finish(),
    ],
    '/feedmesh.search.v1.SearchService/Search': [
      searchv1.SearchRequest.encode({
        query: 'charcoal "slow roasted"',
        tags: ['art'],
        blogId: '',
        order: 2,
        pageSize: 10,
        cursor: '',
      }).finish(),
    ],
    '/feedmesh.search.v1.SearchService/Suggest': [
      searchv1.SuggestRequest.encode({ prefix: 'ar', limit: 5, kinds: [1, 2] }).finish(),
    ],
    '/feedmesh.notification.v1.NotificationService/ListInbox': [
      notificationv1.ListInboxRequest.encode({
        userId: 'u1',
        pageSize: 10,
        cursor: '',
        unreadOnly: false,
      }).finish(),
    ],
    '/feedmesh.notification.v1.NotificationService/MarkRead': [
      notificationv1.MarkReadRequest.encode({
        userId: 'u1',
        notificationIds: ['n1'],
        all: false,
      }).finish(),
    ],
    '/feedmesh.notification.v1.NotificationService/Subscribe': [
      notificationv1.SubscribeRequest.encode({ userId: 'u1', afterNotificationId: '' }).finish(),
    ],
    '/feedmesh.notification.v1.NotificationService/GetPreferences': [
      notificationv1.GetPreferencesRequest.encode({ userId: 'u1' }).finish(),
    ],
    '/feedmesh.notification.v1.NotificationService/SetPreferences': [
      notificationv1.SetPreferencesRequest.encode({
        userId: 'u1',
        preferences: {
          types: [{ type: 1, enabled: true, channels: [1, 2] }],
          timeZone: 'Europe/Paris',
          quietStartMinute: 1320,
          quietEndMinute: 420,
        },
      }).finish(),
    ],
  };
}
