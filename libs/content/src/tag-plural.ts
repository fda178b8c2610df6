import pluralize from 'pluralize';

/**
 * Shorter words are never folded: one of three letters ending in "s" is more often not a plural
 * ("its", "gas", "bus", "yes", "bts", "ios") than one ("cds").
 */
const MIN_FOLDED_LENGTH = 4;

/**
 * Endings of singular words: -ss ("glass", "boss"), -us ("bus", "status"), -is ("paris",
 * "crisis"), -os (Greek and Spanish singulars: "chaos", "ethos", "cosmos", "los"), -as ("texas",
 * "atlas", "canvas") and -ics ("physics", "politics"). The price: "ideas" stays apart from
 * "idea", and an -o plural ("gazebos") from its singular unless it is listed below.
 */
const SINGULAR_ENDING = /(ss|us|is|os|as|ics)$/;
/** Plurals of words ending in -o, common as tags, that fold in spite of the -os ending. */
const O_PLURALS: ReadonlySet<string> = new Set([
  'photos',
  'videos',
  'tacos',
  'memos',
  'logos',
  'demos',
  'promos',
  'pianos',
  'radios',
  'studios',
  'burritos',
  'avocados',
  'kangaroos',
  'tattoos',
  'zoos',
  'cameos',
  'combos',
  'typos',
  'duos',
  'trios',
  'emos',
  'egos',
  'bros',
  'rhinos',
  'hippos',
  'dinos',
  'flamingos',
  'mangos',
  'volcanos',
  'tornados',
  'casinos',
  'condos',
  'kimonos',
  'tuxedos',
  'sombreros',
  'ponchos',
  'nachos',
  'espressos',
  'cappuccinos',
]);
/**
 * Words ending in "s" that a tag uses as a singular, a name or an invariable word: folding them
 * mangles the tag ("always" -> "alway", "mars" -> "mar") or merges two ("glasses" the eyewear
 * into "glass", "pants" the clothing into "pant"). Pluralize's own uncountables ("news",
 * "series", "species", "kudos", "jeans") are left alone by pluralize itself.
 */
const NOT_PLURALS: ReadonlySet<string> = new Set([
  // Adverbs, pronouns and verbs.
  'always',
  'sometimes',
  'perhaps',
  'nowadays',
  'towards',
  'afterwards',
  'backwards',
  'forwards',
  'besides',
  'anyways',
  'sideways',
  'upstairs',
  'downstairs',
  'indoors',
  'outdoors',
  'this',
  'hers',
  'ours',
  'yours',
  'theirs',
  'does',
  'goes',
  'says',
  // Singular nouns.
  'lens',
  'mars',
  'ares',
  'aries',
  'venus',
  'thanks',
  'congrats',
  'odds',
  'goods',
  'clothes',
  // Worn in pairs: one of them is not the singular.
  'glasses',
  'sunglasses',
  'pants',
  'shorts',
  'tights',
  'leggings',
  'trousers',
  'overalls',
  // Names, alone or as the last word of one.
  'athens',
  'wales',
  'moses',
  'james',
  'charles',
  'dickens',
  'hercules',
  'achilles',
  'angeles',
  'aires',
  'moines',
  'wars',
  'things',
  'thrones',
  'simpsons',
  'beatles',
  'sims',
]);
/** Plurals that pluralize gets wrong otherwise ("lenses" -> "lense"). */
const SINGULAR_OF: ReadonlyMap<string, string> = new Map([['lenses', 'lens']]);
/** Singulars in -ie whose plurals pluralize takes for -y ("cookies" -> "cooky"). */
const IE_SINGULARS: ReadonlySet<string> = new Set([
  'cookie',
  'selfie',
  'hoodie',
  'brownie',
  'smoothie',
  'bestie',
  'cutie',
  'sweetie',
  'beanie',
  'onesie',
  'rookie',
  'goalie',
  'hippie',
  'veggie',
  'newbie',
  'aussie',
  'pixie',
  'auntie',
  'birdie',
  'calorie',
  'prairie',
  'genie',
  'indie',
  'techie',
  'kiddie',
  'boogie',
  'magpie',
  'barbie',
  'roomie',
  'bootie',
  'sortie',
  'reverie',
]);

/**
 * The singular of a tag's last word (`word`, lower-cased as in the key), or the word as it is
 * when it is not plainly a regular English plural. `spelled` is the same word as the tag wrote
 * it, case and all. Conservative by design, since tags are often names: only a lower-case or
 * capitalized ("Cats") word of plain Latin letters, four or more, ending in "s" but in none of
 * the singular endings, is folded, and never one in the lists above. Mixed case ("iOS",
 * "macOS") is a name's spelling and all capitals ("BTS", "CATS") an acronym or a name; both
 * are kept.
 */
export function singularTagWord(word: string, spelled: string): string {
  if (word.length < MIN_FOLDED_LENGTH || !word.endsWith('s')) return word;
  if (!/^[a-z]+$/.test(word) || !/^[A-Za-z][a-z]+$/.test(spelled)) return word;
  if (NOT_PLURALS.has(word)) return word;
  if (SINGULAR_ENDING.test(word) && !O_PLURALS.has(word)) return word;
  const known = SINGULAR_OF.get(word);
  if (known !== undefined) return known;
  if (!pluralize.isPlural(word)) return word;
  if (word.endsWith('ies') && IE_SINGULARS.has(word.slice(0, -1))) return word.slice(0, -1);
  return pluralize.singular(word);
}
