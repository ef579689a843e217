/**
 * The CLI's first look at its arguments: the data directory and the command. Light on purpose
 * (no MailService, no zod): every start reads it before deciding what else to load.
 */
import { defaultDataDir } from '../core/data-dir.js';

/** Bad input: printed with a pointer to `popbox help`, exit code 2. */
export class UsageError extends Error {}

export function usage(message: string): never {
  throw new UsageError(message);
}

/**
 * The data directory and the rest of the arguments. --data-dir may come before the command (as
 * documented) or anywhere after it. Throws a UsageError for a --data-dir without a directory.
 */
export function splitArgs(argv: string[]): { dataDir: string; args: string[] } {
  let dataDir = defaultDataDir();
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--data-dir') {
      const v = argv[++i];
      if (!v) usage('--data-dir needs a directory');
      dataDir = v;
    } else if (a.startsWith('--data-dir=')) dataDir = a.slice('--data-dir='.length);
    else args.push(a);
  }
  return { dataDir, args };
}

/** Commands that never open the data directory: they run where they are typed, app or no app. */
export const LOCAL_COMMANDS: ReadonlySet<string | undefined> = new Set([undefined, 'help', '--help', 'probe']);

/** `sync [NAME...]` with no option, the command the quick path may answer: its data directory and names; null for any other. */
export function bareSync(argv: string[]): { dataDir: string; names: string[] } | null {
  let split;
  try {
    split = splitArgs(argv);
  } catch {
    return null;
  }
  const [command, ...names] = split.args;
  return command === 'sync' && !names.some((a) => a.startsWith('-')) ? { dataDir: split.dataDir, names } : null;
}
