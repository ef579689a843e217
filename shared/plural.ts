/**
 * Counts in words, one rule for the CLI, core's messages and the screens (shared/: both sides may
 * import it). English only, as every text Popbox shows today.
 */

/** The word for a count: `one` for 1, else `many` ("messages" by default). */
export function pluralWord(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

/** "1 message", "3 messages", "2 replies" (with `many`). */
export function plural(n: number, one: string, many?: string): string {
  return `${n} ${pluralWord(n, one, many)}`;
}
