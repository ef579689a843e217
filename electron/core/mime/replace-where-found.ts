/**
 * A global replace that first looks whether there is anything to replace: most text a parse worker
 * cleans has nothing to clean, and on a long text a global replace that finds nothing costs about
 * twice the search (it still builds its result). One pattern for both steps: its lastIndex is set
 * to 0 before the test (a global pattern's test starts there and moves it), and replace starts
 * from 0 whatever it holds.
 */
export function replaceWhereFound(text: string, globalPattern: RegExp, replacement: string | ((match: string) => string)): string {
  globalPattern.lastIndex = 0;
  if (!globalPattern.test(text)) return text;
  // Two calls only because TypeScript picks replace's overload by the replacement's type.
  return typeof replacement === 'string' ? text.replace(globalPattern, replacement) : text.replace(globalPattern, replacement);
}
