import assert from 'node:assert/strict';
import { DEFAULT_PROCESSED_TTL_MS } from '@feedmesh/events';
import { ConfigError } from '@feedmesh/errors';
import { loadConfig } from '@feedmesh/service-kit';
import { searchConfigShape, searchIndexOptions } from './start-search.js';

describe('search configuration', () => {
  it("remembers deleted post ids for 7 days by default, the event log's dedupe horizon", () => {
    const config = loadConfig(searchConfigShape, {});
    assert.equal(config.SEARCH_TOMBSTONE_RETENTION_MS, DEFAULT_PROCESSED_TTL_MS);
    assert.equal(searchIndexOptions(config).tombstoneRetentionMs, DEFAULT_PROCESSED_TTL_MS);
  });

  it('gives the index SEARCH_TOMBSTONE_RETENTION_MS unless the caller sets its own', () => {
    const config = loadConfig(searchConfigShape, { SEARCH_TOMBSTONE_RETENTION_MS: '7200000' });
    assert.equal(searchIndexOptions(config).tombstoneRetentionMs, 7_200_000);
    const own = searchIndexOptions(config, { tombstoneRetentionMs: 5, coordination: 'none' });
    assert.equal(own.tombstoneRetentionMs, 5);
    assert.equal(own.coordination, 'none');
  });

  it('refuses a SEARCH_TOMBSTONE_RETENTION_MS under an hour or not a whole number, naming it', () => {
    for (const bad of ['0', '59999', '3599999', '1.5h', '3600000.5']) {
      assert.throws(
        () => loadConfig(searchConfigShape, { SEARCH_TOMBSTONE_RETENTION_MS: bad }),
        (error: unknown) =>
          error instanceof ConfigError && /SEARCH_TOMBSTONE_RETENTION_MS/.test(error.message),
        bad,
      );
    }
  });
});
