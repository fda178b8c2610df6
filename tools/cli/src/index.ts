/**
 * The `feedmesh` command as a library: tests and other tools run it in-process with their own
 * streams, and reuse its rendering.
 */
export { buildProgram, runCli } from './cli.js';
export type { CliIo, Output } from './cli-io.js';
export { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './cli-errors.js';
export { renderFeed, type FeedQuery } from './render/feed-table.js';
export { renderSearch, type SearchQuery } from './render/search-results.js';
export {
  renderInbox,
  renderLiveNotification,
  type InboxQuery,
} from './render/notification-list.js';
export { readEventLines, parseEventLine, EventLineError, type EventLine } from './event-lines.js';
export { publishEvents, type PublishSummary } from './event-publisher.js';
export {
  startEmbeddedPlayground,
  consumerGroupsOf,
  PLAYGROUND_SERVICES,
  type Playground,
  type PlaygroundService,
  type EmbeddedPlaygroundOptions,
} from '@feedmesh/playground';
export { startProcessPlayground, type ProcessPlayground } from './process-playground.js';
export { publishWorld, waitForConsumers } from './world-loader.js';
