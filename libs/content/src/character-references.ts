import { decodeHTMLStrict } from 'entities';

/**
 * A post's text with its HTML character references ("&amp;", "&#39;", "&eacute;", "&nbsp;")
 * read as the characters they stand for. The contract says post text is plain text, but real
 * clients send it entity-encoded; read raw, "Tom &amp; Jerry" would index a word "amp".
 * Strict, as encoders write them: only a reference closed by ';' is one, so an ampersand typed
 * in plain text ("AT&T", "R&D", "&copy2024") stays as written. Decoded once: "&amp;amp;" is
 * the text "&amp;".
 */
export function decodeCharacterReferences(text: string): string {
  return text.includes('&') ? decodeHTMLStrict(text) : text;
}
