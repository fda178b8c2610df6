// stopword 3 ships no type declarations; only the parts this package uses are declared.
declare module 'stopword' {
  export const eng: readonly string[];
  export function removeStopwords(
    tokens: readonly string[],
    stopwords?: readonly string[],
  ): string[];
}
