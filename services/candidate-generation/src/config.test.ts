import assert from 'node:assert/strict';
import { ConfigError } from '@feedmesh/errors';
import { loadConfig } from '@feedmesh/service-kit';
import { candidateGenerationConfigShape, candidateSettingsFrom } from './index.js';

const settingsOf = (env: Record<string, string>) =>
  candidateSettingsFrom(loadConfig(candidateGenerationConfigShape, env));

describe('candidate-generation configuration', () => {
  it('releases a trend at half its starting score unless told otherwise', () => {
    assert.equal(settingsOf({}).trending.releaseScore, 1);
    assert.equal(settingsOf({ CANDIDATES_TRENDING_MIN_SCORE: '3' }).trending.releaseScore, 1.5);
    const told = settingsOf({ CANDIDATES_TRENDING_RELEASE_SCORE: '0.5' });
    assert.equal(told.trending.releaseScore, 0.5);
  });

  it('refuses a release score above the starting one, naming both variables', () => {
    assert.throws(
      () => settingsOf({ CANDIDATES_TRENDING_RELEASE_SCORE: '3' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.variable === 'CANDIDATES_TRENDING_RELEASE_SCORE' &&
        /at most CANDIDATES_TRENDING_MIN_SCORE \(2\), got 3/.test(error.message),
    );
  });
});
