/**
 * A value made at its first use, then kept: for what costs at load and most loads never use (a
 * Unicode-property pattern is parsed whole when it is made, millions of instructions, and the
 * CLI's empty check and every parse worker's start load modules that hold some).
 */
export function lazy<T extends object>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}
