// The package ships no types: one function, Porter2 (Snowball English) over a lowercase word.
declare module 'wink-porter2-stemmer' {
  function stem(word: string): string;
  export default stem;
}
