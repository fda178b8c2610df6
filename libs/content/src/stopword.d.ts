// stopword 3 ships no type declarations; only the parts this package uses are declared.
declare module 'stopword' {
  export const bul: readonly string[];
  export const ces: readonly string[];
  export const deu: readonly string[];
  export const eng: readonly string[];
  export const fra: readonly string[];
  export const hrv: readonly string[];
  export const hun: readonly string[];
  export const ind: readonly string[];
  export const ita: readonly string[];
  export const nld: readonly string[];
  export const pol: readonly string[];
  export const por: readonly string[];
  export const ron: readonly string[];
  export const rus: readonly string[];
  export const spa: readonly string[];
  export const swe: readonly string[];
  export const tur: readonly string[];
  export const ukr: readonly string[];
  export function removeStopwords(
    tokens: readonly string[],
    stopwords?: readonly string[],
  ): string[];
}
