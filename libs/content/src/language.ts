import { franc } from 'franc-min';
import { decodeCharacterReferences } from './character-references.js';

/** ISO 639-3 code of "could not tell" (too short, or no script franc knows). */
export const UNDETERMINED_LANGUAGE = 'und';

/**
 * The most probable language of a text as an ISO 639-3 code ("eng", "fra"), or "und" when the
 * text is too short to tell. franc-min knows the ~80 languages with 8M+ speakers. HTML
 * character references are read as their characters ("caf&eacute;" is "café").
 */
export function detectLanguage(text: string, minLength = 20): string {
  const clean = decodeCharacterReferences(text)
    .replace(/\b(?:https?:\/\/|www\.)\S+/giu, ' ')
    .trim();
  return franc(clean, { minLength });
}
