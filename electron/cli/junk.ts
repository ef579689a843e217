/**
 * The junk filter on the command line (issue 16 §2): teach it with raw RFC 822 files (a leading
 * mbox "From " line is skipped) or with stored mail of a folder, ask it about files, forget it
 * all. The word list is the one the app uses, in the data directory (<dataDir>/junk).
 */
import fs from 'node:fs/promises';
import { AppFailure, isAppFailure } from '../core/errors.js';
import { classify, learn, loadWordList, resetWordList, updateWordList, wordListPath, type WordList } from '../core/junk/index.js';
import { resolveFolder } from './folders.js';
import { parse, plural, print, printError, usage, withService } from './common.js';

export const JUNK_USAGE = `  junk learn (--junk | --not-junk) FILE...   (raw RFC 822 files; a leading mbox "From " line is skipped)
  junk learn (--junk | --not-junk) --folder NAME [--account NAME]   (the mail stored in a folder)
  junk classify FILE... [--json]             (junk, ham or unsure, and a score from 0 good to 1 junk)
  junk reset                                 (forgets everything learned)`;

/**
 * Where in a whole command line (`--data-dir DIR` included) `junk learn`/`junk classify` names
 * files: index.ts makes those absolute, as a running Popbox reads them from its own directory.
 */
export function junkFileArgs(argv: readonly string[]): number[] {
  let j = 0;
  while (j < argv.length && argv[j]!.startsWith('--data-dir')) j += argv[j] === '--data-dir' ? 2 : 1;
  if (argv[j] !== 'junk' || (argv[j + 1] !== 'learn' && argv[j + 1] !== 'classify')) return [];
  const at: number[] = [];
  for (let i = j + 2; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--folder' || a === '--account' || a === '--data-dir') i++;
    else if (!a.startsWith('-')) at.push(i);
  }
  return at;
}

/** A file's bytes, or a failure in plain words (missing, a directory, unreadable). */
async function readMessageFile(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory, not a message file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : `cannot be read (${code ?? String(e)})`;
    throw new AppFailure('not-found', `${file}: ${why}`);
  }
}

// Inside a running Popbox two terminals' commands may overlap: learning and reset take turns here
// too (across processes the word list's lock does it; classify only reads).
let turn: Promise<unknown> = Promise.resolve();

function inTurn<T>(fn: () => Promise<T>): Promise<T> {
  const run = turn.then(fn, fn);
  turn = run.catch(() => {});
  return run;
}

export function junkCommand(dataDir: string, args: string[]): Promise<number> {
  return args[0] === 'classify' ? junkCommandNow(dataDir, args) : inTurn(() => junkCommandNow(dataDir, args));
}

async function junkCommandNow(dataDir: string, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'learn': {
      const { values, positionals } = parse(rest, {
        junk: { type: 'boolean' },
        'not-junk': { type: 'boolean' },
        folder: { type: 'string' },
        account: { type: 'string' },
      });
      if (!values.junk === !values['not-junk']) usage('junk learn needs --junk or --not-junk (one of them)');
      const kind = values.junk ? 'junk' : 'ham';
      if (values.folder === undefined && positionals.length === 0) usage('junk learn needs message files, or --folder NAME');
      if (values.folder !== undefined && positionals.length > 0) usage('junk learn takes files or --folder NAME, not both');
      if (values.account !== undefined && values.folder === undefined) usage('--account goes with --folder');
      // Load, learn, save holding the word list's lock: another terminal learning at the same
      // time waits, then starts from what this one saved (across processes, not just this one).
      const { list, learned, failed } = await updateWordList(dataDir, async (list) => {
        let learned = 0;
        let failed = 0;
        if (values.folder !== undefined) {
          learned = await learnFolder(dataDir, values.folder, values.account, list, kind);
        } else {
          for (const file of positionals) {
            try {
              learn(await readMessageFile(file), list, kind);
              learned++;
            } catch (e) {
              failed++;
              printError(isAppFailure(e) ? e.message : `${file}: ${String(e)}`);
            }
          }
        }
        return { save: learned > 0, result: { list, learned, failed } };
      });
      print(`learned ${plural(learned, 'message')} as ${kind === 'junk' ? 'junk' : 'not junk'} (the word list knows ${list.junkMessages} junk and ${list.hamMessages} good)`);
      return failed ? 1 : 0;
    }
    case 'classify': {
      const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
      if (positionals.length === 0) usage('junk classify needs at least one message file');
      const list = await loadWordList(dataDir);
      if (list.junkMessages === 0 || list.hamMessages === 0) {
        printError(`warning: the junk filter has not learned both kinds yet (${list.junkMessages} junk, ${list.hamMessages} good): everything is unsure`);
      }
      const results: { file: string; verdict: string; score: number }[] = [];
      let failed = 0;
      for (const file of positionals) {
        try {
          const c = classify(await readMessageFile(file), list);
          const score = Math.round(c.score * 10000) / 10000;
          results.push({ file, verdict: c.verdict, score });
          if (!values.json) print(`${c.verdict.padEnd(6)} ${score.toFixed(4)}  ${file}`);
        } catch (e) {
          failed++;
          printError(isAppFailure(e) ? e.message : `${file}: ${String(e)}`);
        }
      }
      if (values.json) print(JSON.stringify(results, null, 2));
      return failed ? 1 : 0;
    }
    case 'reset': {
      const { positionals } = parse(rest, {});
      if (positionals.length) usage('junk reset takes no arguments');
      await resetWordList(dataDir);
      print(`the junk filter forgot everything it learned (${wordListPath(dataDir)} removed)`);
      return 0;
    }
    default:
      return usage('junk needs a subcommand: learn, classify or reset');
  }
}

/** Learns every message stored in a folder (of the named account, or of every account that has it). */
async function learnFolder(dataDir: string, folder: string, account: string | undefined, list: WordList, kind: 'junk' | 'ham'): Promise<number> {
  return withService(dataDir, async (s) => {
    const accountId = account !== undefined ? s.accounts.get(account).id : undefined;
    const keys = new Map<string, string | null>();
    for (const a of s.listAccounts()) if (!accountId || a.id === accountId) keys.set(a.id, resolveFolder(s, a.id, folder, { quiet: true }));
    if (![...keys.values()].some((k) => k !== null)) {
      const first = accountId ?? s.listAccounts()[0]?.id;
      if (!first) throw new AppFailure('not-found', 'no accounts yet: add one with "popbox account add"');
      resolveFolder(s, first, folder);
    }
    let n = 0;
    for (const m of s.messages(accountId ? { accountId } : {})) {
      if (keys.get(m.accountId) !== m.folder) continue;
      learn(await fs.readFile(await s.messageFile(m.id)), list, kind);
      n++;
    }
    return n;
  });
}
