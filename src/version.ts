// simdnet's version, as package.json gives it (test/version.test.ts keeps the two equal): result
// tables name it, and it must reach the browser bundle, which cannot read package.json.
export const VERSION = '0.1.0';
