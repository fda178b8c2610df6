import { InvalidArgumentError, NotFoundError, UnavailableError } from '@feedmesh/errors';
import { traceRedis } from '@feedmesh/telemetry';
import type { Cluster, Redis } from 'ioredis';
import { parseModelDocument, type ModelDocument } from './model-document.js';
import {
  byNameThenNewest,
  checkModelName,
  CurrentVersionChangedError,
  DanglingCurrentVersionError,
  DEFAULT_MAX_VERSIONS_PER_NAME,
  describeVersion,
  previousVersion,
  PROMOTION_HISTORY_LENGTH,
  versionsToPrune,
  type ModelRegistry,
  type ModelRegistryOptions,
  type ModelVersion,
  type PromoteOptions,
  type Promotion,
  type PublishOptions,
  type StoredModel,
} from './model-registry.js';

export interface RedisModelRegistryOptions extends ModelRegistryOptions {
  readonly redis: Redis | Cluster;
  /** Every key starts with it, e.g. `feedmesh:models`. */
  readonly keyPrefix: string;
}

// KEYS[1] versions of the name, KEYS[2] current, KEYS[3] the version's model document,
// KEYS[4] the name's promotions; ARGV[1] version, ARGV[2] name, ARGV[3] '1' to compare,
// ARGV[4] the expected current ('' for none), ARGV[5] the promotion's entry, ARGV[6] how many
// promotions to keep. Moves the pointer only if the version is still stored in full, so a
// concurrent prune cannot leave a name pointing at nothing, and, when asked to compare, only
// if the pointer still names the expected version: {1} moved, {0} version not stored, {2,
// actual} changed. The move and its entry in the history are one: a pointer already on the
// version is left, and recorded no second time.
const PROMOTE = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 or redis.call('EXISTS', KEYS[3]) == 0 then
  return {0}
end
local current = redis.call('HGET', KEYS[2], ARGV[2]) or ''
if ARGV[3] == '1' and current ~= ARGV[4] then return {2, current} end
if current == ARGV[1] then return {1} end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('LPUSH', KEYS[4], ARGV[5])
redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[6]) - 1)
return {1}`;

/** Reads of a pointer that keeps moving before `current` gives up. */
const CURRENT_ATTEMPTS = 5;

// Deletes old versions, re-reading at delete time the pointer and the version promoted
// before it, so a version promoted after the caller listed them survives, and so does the
// one a ranker falls back to. KEYS[1] versions of the name, KEYS[2] current, KEYS[3] the
// name's promotions, KEYS[4...] the old versions' documents; ARGV[1] name, ARGV[2...] the old
// versions.
const PRUNE = `
local current = redis.call('HGET', KEYS[2], ARGV[1])
local previous = false
for _, entry in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
  local version = cjson.decode(entry).version
  if version ~= current then
    previous = version
    break
  end
end
local deleted = 0
for i = 2, #ARGV do
  if ARGV[i] ~= current and ARGV[i] ~= previous then
    redis.call('HDEL', KEYS[1], ARGV[i])
    redis.call('DEL', KEYS[i + 2])
    deleted = deleted + 1
  end
end
return deleted`;

/**
 * The registry in Redis. Every key shares the `{models}` hash tag: the registry is small (a
 * few names, a capped number of versions each), and one slot lets scripts and MULTI touch a
 * version's metadata, its parameters and the pointers atomically on Redis Cluster too.
 *
 *   <prefix>:{models}:names                  SET of model names
 *   <prefix>:{models}:current                HASH name -> current version
 *   <prefix>:{models}:seq                    HASH name -> last version number
 *   <prefix>:{models}:versions:<name>        HASH version -> metadata JSON
 *   <prefix>:{models}:model:<name>:<version> STRING model document JSON
 *   <prefix>:{models}:promotions:<name>      LIST of promotions, newest first, JSON
 *                                            `{ version, promotedAtMs }`
 *
 * Nothing expires: versions are capped per name (`maxVersionsPerName`, oldest deleted first,
 * never the current one nor the one promoted before it), promotions at
 * PROMOTION_HISTORY_LENGTH per name.
 */
export class RedisModelRegistry implements ModelRegistry {
  private readonly redis: Redis | Cluster;
  private readonly base: string;
  private readonly maxVersions: number;
  private readonly clock: () => number;

  constructor(options: RedisModelRegistryOptions) {
    this.redis = options.redis;
    this.base = `${options.keyPrefix}:{models}`;
    this.maxVersions = options.maxVersionsPerName ?? DEFAULT_MAX_VERSIONS_PER_NAME;
    this.clock = options.clock ?? Date.now;
  }

  async publish(
    name: string,
    model: ModelDocument,
    options: PublishOptions,
  ): Promise<ModelVersion> {
    checkModelName(name);
    // Validate before taking a version number, so a bad model leaves no gap.
    describeVersion(name, 'v0', model, options, 0);
    const sequence = await this.call('HINCRBY', () => this.redis.hincrby(this.key('seq'), name, 1));
    const version = `v${sequence}`;
    const info = describeVersion(name, version, model, options, this.clock());
    const multi = this.redis
      .multi()
      .hset(this.versionsKey(name), version, JSON.stringify(info))
      .set(this.modelKey(name, version), JSON.stringify(model))
      .sadd(this.key('names'), name);
    if (options.promote) {
      // A new version is never the current one yet: the pointer moves, so it is recorded.
      multi
        .hset(this.key('current'), name, version)
        .lpush(this.promotionsKey(name), promotionEntry(version, info.publishedAtMs))
        .ltrim(this.promotionsKey(name), 0, PROMOTION_HISTORY_LENGTH - 1);
    }
    await this.call('MULTI publish', () => multi.exec());
    await this.prune(name);
    return info;
  }

  async promote(name: string, version: string, options: PromoteOptions = {}): Promise<void> {
    const { expectedCurrent } = options;
    const [outcome, actual] = (await this.call('EVAL promote', () =>
      this.redis.eval(
        PROMOTE,
        4,
        this.versionsKey(name),
        this.key('current'),
        this.modelKey(name, version),
        this.promotionsKey(name),
        version,
        name,
        expectedCurrent === undefined ? '0' : '1',
        expectedCurrent ?? '',
        promotionEntry(version, this.clock()),
        PROMOTION_HISTORY_LENGTH,
      ),
    )) as [number, string?];
    if (outcome === 0) throw new NotFoundError('model version', `${name}@${version}`);
    if (outcome === 2) {
      throw new CurrentVersionChangedError(name, expectedCurrent ?? null, actual || null);
    }
  }

  async current(name: string): Promise<ModelVersion | undefined> {
    let version = await this.call('HGET', () => this.redis.hget(this.key('current'), name));
    // The pointer, the version's metadata and whether its document exists, read in one
    // transaction: read apart, a version moved away from and pruned in between would look
    // dangling. The document's key depends on the version, so a moved pointer means again.
    for (let attempt = 1; version !== null; attempt += 1) {
      const seen: string = version;
      const replies = await this.call('MULTI current', () =>
        this.redis
          .multi()
          .hget(this.key('current'), name)
          .hget(this.versionsKey(name), seen)
          .exists(this.modelKey(name, seen))
          .exec(),
      );
      const pointer = replyOf(replies, 0) as string | null;
      if (pointer === seen) {
        const json = replyOf(replies, 1) as string | null;
        if (json === null) throw new DanglingCurrentVersionError(name, seen, 'metadata');
        if (replyOf(replies, 2) !== 1) {
          throw new DanglingCurrentVersionError(name, seen, 'document');
        }
        return parseInfo(json);
      }
      if (attempt >= CURRENT_ATTEMPTS) {
        throw new UnavailableError(
          'redis',
          `the current pointer of model ${name} moved on each of ${CURRENT_ATTEMPTS} reads`,
        );
      }
      version = pointer;
    }
    return undefined;
  }

  async currentVersions(): Promise<ReadonlyMap<string, string>> {
    const pointers = await this.call('HGETALL', () => this.redis.hgetall(this.key('current')));
    return new Map(Object.entries(pointers));
  }

  async list(name?: string): Promise<ModelVersion[]> {
    const names =
      name === undefined
        ? await this.call('SMEMBERS', () => this.redis.smembers(this.key('names')))
        : [name];
    if (names.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const n of names) pipeline.hvals(this.versionsKey(n));
    const replies = (await this.call('HVALS', () => pipeline.exec())) ?? [];
    const out: ModelVersion[] = [];
    for (const [error, values] of replies) {
      if (error) throw new UnavailableError('redis', error.message, { cause: error });
      for (const json of values as string[]) out.push(parseInfo(json));
    }
    return out.sort(byNameThenNewest);
  }

  async history(name: string): Promise<Promotion[]> {
    const entries = await this.call('LRANGE', () =>
      this.redis.lrange(this.promotionsKey(name), 0, -1),
    );
    return entries.map(parsePromotion);
  }

  async get(name: string, version: string): Promise<StoredModel | undefined> {
    const replies = await this.call('MULTI get', () =>
      this.redis
        .multi()
        .hget(this.versionsKey(name), version)
        .get(this.modelKey(name, version))
        .exec(),
    );
    const info = replies?.[0]?.[1];
    const model = replies?.[1]?.[1];
    if (typeof info !== 'string' || typeof model !== 'string') return undefined;
    return { info: parseInfo(info), model: parseModelDocument(parseJson(model)) };
  }

  private async prune(name: string): Promise<void> {
    const [versions, current, history] = await Promise.all([
      this.call('HKEYS', () => this.redis.hkeys(this.versionsKey(name))),
      this.call('HGET', () => this.redis.hget(this.key('current'), name)),
      this.history(name),
    ]);
    const previous = previousVersion(history, current ?? undefined);
    const old = versionsToPrune(versions, [current ?? undefined, previous], this.maxVersions);
    if (old.length === 0) return;
    const keys = [
      this.versionsKey(name),
      this.key('current'),
      this.promotionsKey(name),
      ...old.map((v) => this.modelKey(name, v)),
    ];
    await this.call('EVAL prune', () => this.redis.eval(PRUNE, keys.length, ...keys, name, ...old));
  }

  private key(what: string): string {
    return `${this.base}:${what}`;
  }

  private versionsKey(name: string): string {
    return this.key(`versions:${name}`);
  }

  private promotionsKey(name: string): string {
    return this.key(`promotions:${name}`);
  }

  private modelKey(name: string, version: string): string {
    return this.key(`model:${name}:${version}`);
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await traceRedis(operation, fn);
    } catch (error) {
      throw new UnavailableError('redis', error instanceof Error ? error.message : String(error), {
        cause: error,
      });
    }
  }
}

/** A stored model's text as JSON; text that is not is a malformed model, like a bad field. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError('(document)', `not JSON: ${(error as Error).message}`);
  }
}

/** The result of a MULTI's `index`th command; a command's error fails the call. */
function replyOf(replies: [Error | null, unknown][] | null, index: number): unknown {
  const reply = replies?.[index];
  if (reply === undefined) throw new UnavailableError('redis', 'transaction aborted');
  if (reply[0]) throw new UnavailableError('redis', reply[0].message, { cause: reply[0] });
  return reply[1];
}

function parseInfo(json: string): ModelVersion {
  return JSON.parse(json) as ModelVersion;
}

function promotionEntry(version: string, promotedAtMs: number): string {
  return JSON.stringify({ version, promotedAtMs } satisfies Promotion);
}

function parsePromotion(json: string): Promotion {
  const { version, promotedAtMs } = JSON.parse(json) as Promotion;
  return { version, promotedAtMs };
}
