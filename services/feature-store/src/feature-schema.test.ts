import assert from 'node:assert/strict';
import { ENTITIES, FEATURES, type FeatureDeclaration } from './feature-registry.js';
import { CANDIDATE_ENTITIES, featureSchema, registryProblems, schemaOf } from './feature-schema.js';

describe('feature schema', () => {
  it('finds no problem in the registry', () => {
    assert.deepEqual(registryProblems(FEATURES), []);
  });

  it('serves user features as the user vector and the rest as candidate columns', () => {
    assert.ok(featureSchema.user.length > 0);
    assert.ok(featureSchema.user.every((f) => f.entity === 'user'));
    assert.equal(featureSchema.user.length + featureSchema.candidate.length, FEATURES.length);
  });

  it('orders candidate columns post, blog, user x blog, user x tag, each in declaration order', () => {
    const ranks = featureSchema.candidate.map((f) => CANDIDATE_ENTITIES.indexOf(f.entity));
    assert.deepEqual(
      ranks,
      [...ranks].sort((a, b) => a - b),
    );
    assert.deepEqual(
      [...new Set(featureSchema.candidate.map((f) => f.entity))],
      CANDIDATE_ENTITIES,
    );
    const posts = FEATURES.filter((f) => f.entity === 'post').map((f) => f.name);
    assert.deepEqual(
      featureSchema.candidate.filter((f) => f.entity === 'post').map((f) => f.name),
      posts,
    );
  });

  it('keeps its version while the declarations stay, and changes it when one changes', () => {
    assert.equal(schemaOf([...FEATURES]).version, featureSchema.version);
    const changed = FEATURES.map((f) =>
      f.name === 'post.likes_1d' ? { ...f, default: 1 } : f,
    ) as FeatureDeclaration[];
    assert.notEqual(schemaOf(changed).version, featureSchema.version);
    assert.match(featureSchema.version, /^fs-[0-9a-f]{16}$/);
  });

  it('names what is wrong with bad declarations', () => {
    const bad: FeatureDeclaration[] = [
      FEATURES[0]!,
      FEATURES[0]!,
      { ...FEATURES[0]!, name: 'post.misplaced' } as unknown as FeatureDeclaration,
      {
        name: 'user_tag.no_reduce',
        entity: 'user_tag',
        type: 'float',
        aggregation: { kind: 'decayed_count', signal: 'affinity', halfLifeMs: 1 },
        default: 0,
        description: 'x',
      },
      {
        name: 'post.bad_prior',
        entity: 'post',
        type: 'float',
        aggregation: {
          kind: 'decayed_rate',
          numerator: 'like',
          denominator: 'impression',
          halfLifeMs: 0,
          prior: { rate: 2, weight: 0 },
        },
        default: 0,
        description: 'x',
      },
    ];
    assert.deepEqual(registryProblems(bad), [
      `${FEATURES[0]!.name}: declared twice`,
      'post.misplaced: must be "user." followed by [a-z0-9_]',
      'user_tag.no_reduce: reduce is required for user_tag features and only for them',
      'post.bad_prior: half-life must be positive',
      'post.bad_prior: prior rate must be within [0, 1]',
      'post.bad_prior: prior weight must be positive',
    ]);
    assert.throws(() => schemaOf(bad), /feature registry: /);
  });

  it('requires a summed attribute to start from a number', () => {
    const entities = {
      ...ENTITIES,
      blog: {
        ...ENTITIES.blog,
        attributes: { followers: { merge: 'add', initial: Number.NaN, description: 'x' } },
      },
    } as const;
    assert.deepEqual(registryProblems(FEATURES, entities), [
      'blog.followers: an added attribute needs a finite initial value',
    ]);
  });

  it('refuses a floor on an attribute not summed, not finite, or above its initial value', () => {
    const entities = {
      ...ENTITIES,
      blog: {
        ...ENTITIES.blog,
        attributes: {
          created_at: { merge: 'min', initial: Number.NaN, floor: 0, description: 'x' },
          followers: { merge: 'add', initial: 0, floor: 1, description: 'x' },
        },
      },
      user: {
        ...ENTITIES.user,
        attributes: {
          ...ENTITIES.user.attributes,
          follows: { merge: 'add', initial: 0, floor: Number.NaN, description: 'x' },
        },
      },
    } as const;
    assert.deepEqual(registryProblems(FEATURES, entities), [
      'user.follows: floor must be a finite number',
      'blog.created_at: only an added attribute can have a floor',
      'blog.followers: initial value must not be below the floor',
    ]);
  });
});
