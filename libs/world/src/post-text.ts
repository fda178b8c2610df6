import type { SeededRandom } from './random.js';
import type { Topic } from './topics.js';

/**
 * Post text, tags and blog names made from a topic's vocabulary. The text only has to read
 * like a post and carry the topic's words, so search, tags and embeddings have signal.
 */

const SENTENCES: readonly string[] = [
  'Finally tried {a} and I am never going back.',
  'Does anyone else think about {a} way too much?',
  'Today was all about {a} and {b}.',
  'Hot take: {a} is better than {b}.',
  'Small update on the {a} project: the {b} turned out great.',
  'Spent the whole weekend on {a}. No regrets.',
  'If you love {a} you should look into {b}.',
  'Reminder that {a} is good for the soul.',
  'Three things I learned about {a} this month, starting with {b}.',
  'Can we talk about {a} for a second?',
  'Posting my {a} again because I am proud of it.',
  'Quick tip: {a} works much better with {b}.',
  'Nobody warned me how addictive {a} would be.',
  'Late night thoughts about {a}.',
  'The {a} in this one still gets me.',
  'Went looking for {a} and found {b} instead.',
  'Rating every {a} I tried this year.',
  'My favourite part is the {a}, obviously.',
];

const REBLOG_COMMENTS: readonly string[] = [
  'this!!',
  'saving this for later',
  'absolutely stunning',
  'I think about this post a lot',
  'so good',
  'obsessed with this',
  'reblogging again because it deserves it',
  'the {a} though',
  'ok but the {a}',
  'need more {a} like this',
];

const NAME_WORDS: readonly string[] = [
  'cozy',
  'daily',
  'midnight',
  'tiny',
  'wild',
  'quiet',
  'lost',
  'golden',
  'electric',
  'sleepy',
  'secret',
  'little',
  'velvet',
  'cosmic',
  'rainy',
  'analog',
  'feral',
  'gentle',
  'sunny',
  'haunted',
  'lucky',
  'salty',
  'soft',
  'loud',
  'paper',
];

const NAME_ENDINGS: readonly string[] = [
  '',
  '',
  '',
  '-club',
  '-diaries',
  '-notes',
  '-corner',
  '-archive',
  '-hq',
  '-zone',
  '-daily',
];

export function composePostText(random: SeededRandom, topic: Topic): string {
  const count = random.chance(0.5) ? 1 : random.chance(0.6) ? 2 : 3;
  const sentences: string[] = [];
  for (let i = 0; i < count; i += 1) sentences.push(fill(random, random.pick(SENTENCES), topic));
  return sentences.join(' ');
}

export function composeReblogComment(random: SeededRandom, topic: Topic): string {
  return fill(random, random.pick(REBLOG_COMMENTS), topic);
}

/** 1-4 distinct tags of the topic, the topic's own name tag most often first. */
export function pickTags(random: SeededRandom, topic: Topic, extra?: Topic): string[] {
  const tags: string[] = [];
  if (random.chance(0.6)) tags.push(topic.tags[0] as string);
  const wanted = random.int(1, 4);
  for (let tries = 0; tags.length < wanted && tries < 8; tries += 1) {
    const tag = random.pick(topic.tags);
    if (!tags.includes(tag)) tags.push(tag);
  }
  if (extra !== undefined && random.chance(0.2)) {
    const tag = random.pick(extra.tags);
    if (!tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

/** A readable blog name unique in the world: `cozy-sourdough-club`, `b42` appended if taken. */
export function composeBlogName(
  random: SeededRandom,
  topic: Topic,
  taken: Set<string>,
  fallbackSuffix: string,
): { name: string; title: string } {
  const word = random.pick(topic.words);
  const lead = random.pick(NAME_WORDS);
  const base = `${lead}-${slug(word)}${random.pick(NAME_ENDINGS)}`;
  const name = taken.has(base) ? `${base}-${fallbackSuffix}` : base;
  taken.add(name);
  const title = `${capitalize(lead)} ${word.split(' ').map(capitalize).join(' ')}`;
  return { name: name.slice(0, 64), title };
}

function fill(random: SeededRandom, template: string, topic: Topic): string {
  const a = random.pick(topic.words);
  let b = random.pick(topic.words);
  if (b === a) b = random.pick(topic.words);
  return template.replace('{a}', a).replace('{b}', b);
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function capitalize(word: string): string {
  return word.length === 0 ? word : (word[0] as string).toUpperCase() + word.slice(1);
}
