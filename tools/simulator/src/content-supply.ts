import type { eventsv1 } from '@feedmesh/contracts';
import { TOPICS, type TopicWeight, type WorldTruth } from '@feedmesh/world';
import type { ContentTruth, Creator } from './content-truth.js';
import type { RunIds } from './event-ids.js';
import { RandomStream } from './randomness.js';
import { DAY_MS } from './simulation-options.js';

/**
 * Creators keep posting while the simulation runs, and new creators start, so a week of
 * feeds has something new to show and a new-creator policy has someone to promote. What a
 * creator writes is about their topics; how good it is stays in the truth table.
 */
export class ContentSupply {
  private readonly random: RandomStream;
  private createdBlogs = 0;
  private createdPosts = 0;

  constructor(
    seed: number,
    private readonly world: WorldTruth,
    private readonly truth: ContentTruth,
    private readonly ids: RunIds,
    private readonly rates: { postsPerDay: number; newCreatorsPerDay: number },
  ) {
    this.random = new RandomStream((seed ^ 0x2c1b3c6d) >>> 0);
  }

  get blogsCreated(): number {
    return this.createdBlogs;
  }

  get postsCreated(): number {
    return this.createdPosts;
  }

  /** What creators publish in [fromMs, fromMs + spanMs), stamped at `atMs` (not after it). */
  step(fromMs: number, spanMs: number, atMs: number): eventsv1.Event[] {
    const events: eventsv1.Event[] = [];
    const share = spanMs / DAY_MS;
    const starting = this.random.poisson(this.rates.newCreatorsPerDay * share);
    for (let i = 0; i < starting; i += 1) {
      const creator = this.newCreator(atMs);
      events.push(
        this.ids.event(atMs, {
          $case: 'blogCreated',
          value: {
            blogId: creator.blogId,
            ownerUserId: creator.ownerUserId,
            name: creator.blogId,
            title: `${creator.topics[0]?.name ?? 'new'} by a newcomer`,
          },
        }),
        // A creator with nothing posted is invisible to every source.
        this.post(creator, atMs),
      );
    }
    const creators = this.truth.creatorsAt(fromMs);
    const weights = creators.map((creator) => creator.postRate);
    const posts = this.random.poisson(this.rates.postsPerDay * share);
    for (let i = 0; i < posts && creators.length > 0; i += 1) {
      events.push(this.post(creators[this.random.weighted(weights)]!, atMs));
    }
    return events;
  }

  private newCreator(atMs: number): Creator {
    const topic = this.random.weighted(TOPICS.map((t) => t.popularity));
    const topics: TopicWeight[] = [{ topic, name: TOPICS[topic]!.name, weight: 1 }];
    const owner = this.random.pick(this.world.users);
    const creator: Creator = {
      blogId: this.ids.blog(),
      ownerUserId: owner.id,
      createdAtMs: atMs,
      topics,
      postRate: 2,
      // Newcomers range from weak to the best on the site: the ones to find early.
      quality: this.random.between(0.05, 1),
    };
    this.truth.add(creator);
    this.createdBlogs += 1;
    return creator;
  }

  private post(creator: Creator, atMs: number): eventsv1.Event {
    const weights = creator.topics.map((t) => t.weight);
    const topicIndex = creator.topics[this.random.weighted(weights)]!.topic;
    const topic = TOPICS[topicIndex]!;
    const tags = [this.random.pick(topic.tags)];
    if (this.random.chance(0.5)) {
      const second = this.random.pick(topic.tags);
      if (!tags.includes(second)) tags.push(second);
    }
    const postId = this.ids.post();
    this.createdPosts += 1;
    // The id carries the run's tag, to keep runs against one mesh apart; the draws about the
    // post must not see it, or a post would be another post in every run (no common random
    // numbers between a run and its rerun with another config).
    this.truth.notePost(postId, [topicIndex], `simulated-p${this.createdPosts}`);
    const a = this.random.pick(topic.words);
    const b = this.random.pick(topic.words);
    return this.ids.event(atMs, {
      $case: 'postCreated',
      value: {
        postId,
        blogId: creator.blogId,
        text: `Today was all about ${a} and ${b}.`,
        tags,
        mediaKind: this.random.pick(topic.media),
        reblogOf: '',
      },
    });
  }
}
