/**
 * Folder commands of the CLI (issue 14 §2): list the tree with counts, make, rename and remove
 * folders, file messages. Folders are named as the user sees them, "Work/Projects" (`/` between
 * levels, any case); special folders by their names (Inbox, Archive, Trash…).
 */
import path from 'node:path';
import { INBOX, keyOf, parseFolderArg, pathOf } from '../../shared/folders.js';
import { AppFailure } from '../core/errors.js';
import type { MailService } from '../core/mail-service.js';
import { folderDir } from '../core/store/maildir.js';
import { AccountMailbox } from '../core/store/mailbox.js';
import { fitColumn } from './columns.js';
import { parse, plural, print, terminalWidth, usage, withService } from './common.js';

export const FOLDER_USAGE = `  folders [--account NAME] [--json]
  folder add NAME [--account NAME]          (Parent/Child makes Child inside Parent; \\/ is a slash in a name)
  folder rename OLD NEW [--account NAME]
  folder remove NAME [--account NAME]       (its mail goes to Trash)
  move ID... FOLDER
  copy ID... FOLDER
  archive ID...                             (into Archive/<year>)
  trash ID...
  restore ID...                             (back to where it was trashed from)
  empty-trash [--account NAME]`;

/**
 * A folder of the account by the name the user typed: its exact key, else the same path in
 * any case ("archive/2026"). Unknown: a not-found failure listing the account's folders, or
 * null with `quiet`.
 */
export function resolveFolder(s: MailService, accountId: string, typed: string, opts: { quiet?: boolean } = {}): string | null {
  const names = parseFolderArg(typed);
  const tree = s.folders.counts(accountId).map((c) => c.folder);
  if (names.length > 0) {
    const key = keyOf(names);
    const exact = tree.find((f) => f.key === key);
    if (exact) return exact.key;
    // Any case, and levels as typed: two folders that both answer (names other tools wrote,
    // or a name with a slash) are not guessed between.
    const loose = tree.filter((f) => f.path.length === names.length && f.path.every((n, i) => n.toLowerCase() === names[i]!.toLowerCase()));
    if (loose.length === 1) return loose[0]!.key;
    if (loose.length > 1) throw new AppFailure('invalid', `${JSON.stringify(typed)} could be ${loose.map((f) => JSON.stringify(f.path.join('/'))).join(' or ')}: type the name in its exact case`);
  }
  if (opts.quiet) return null;
  const known = tree.map((f) => f.path.join('/')).join(', ');
  throw new AppFailure('not-found', `no folder ${JSON.stringify(typed)} in this account (its folders: ${known || 'none yet'})`);
}

/** The account a folder command is about: the one named, or the only one. */
function accountFor(s: MailService, name: string | undefined): string {
  if (name !== undefined) return s.accounts.get(name).id;
  const all = s.listAccounts();
  if (all.length === 1) return all[0]!.id;
  if (all.length === 0) throw new AppFailure('not-found', 'no accounts yet: add one with "popbox account add"');
  return usage(`there are ${all.length} accounts: say which with --account NAME`);
}

/** The ids grouped by account, each id checked first. */
function byAccount(s: MailService, ids: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const records = new Map(s.messages().map((m) => [m.id, m]));
  for (const id of ids) {
    const m = records.get(id);
    if (!m) throw new AppFailure('not-found', `no message with id ${JSON.stringify(id)}`);
    out.set(m.accountId, [...(out.get(m.accountId) ?? []), id]);
  }
  return out;
}

export async function folderCommand(dataDir: string, command: string, args: string[]): Promise<number> {
  switch (command) {
    case 'folders': {
      const { values, positionals } = parse(args, { account: { type: 'string' }, json: { type: 'boolean' } });
      if (positionals.length) usage('folders takes no arguments (use --account NAME)');
      return withService(dataDir, async (s) => {
        const accounts = s.listAccounts().filter((a) => values.account === undefined || a.id === s.accounts.get(values.account).id);
        const rows = accounts.flatMap((a) =>
          s.folders.counts(a.id).map(({ folder, total, unread }) => ({
            account: a.name,
            accountId: a.id,
            name: folder.path.join('/'),
            path: folder.path,
            key: folder.key,
            role: folder.role,
            total,
            unread,
            dir: path.join(AccountMailbox.dirFor(s.dataDir, a.id), 'Maildir', folderDir(folder.key)),
          })),
        );
        if (values.json) print(JSON.stringify(rows, null, 2));
        else if (rows.length === 0) print('no accounts yet: add one with "popbox account add"');
        else {
          const width = terminalWidth();
          const acc = Math.min(16, Math.max(...rows.map((r) => r.account.length)));
          for (const r of rows) {
            const counts = `${plural(r.total, 'message')}${r.unread ? `, ${r.unread} unread` : ''}`;
            const indent = '  '.repeat(r.path.length - 1);
            const room = Math.max(10, width - acc - counts.length - 6);
            print(`${fitColumn(r.account, acc)}  ${fitColumn(indent + (r.path[r.path.length - 1] ?? ''), room)}  ${counts}`);
          }
        }
        return 0;
      });
    }
    case 'folder': {
      const [sub, ...rest] = args;
      const { values, positionals } = parse(rest, { account: { type: 'string' } });
      return withService(dataDir, async (s) => {
        const accountId = accountFor(s, values.account);
        switch (sub) {
          case 'add': {
            if (positionals.length !== 1) usage('folder add takes exactly one NAME (Parent/Child nests)');
            const made = await s.createFolder(accountId, parseFolderArg(positionals[0]!));
            print(`made folder ${made.path.join('/')}`);
            return 0;
          }
          case 'rename': {
            if (positionals.length !== 2) usage('folder rename takes OLD and NEW');
            const from = resolveFolder(s, accountId, positionals[0]!)!;
            const made = await s.renameFolder(accountId, from, parseFolderArg(positionals[1]!));
            print(`renamed ${pathOf(from).join('/')} to ${made.path.join('/')}`);
            return 0;
          }
          case 'remove': {
            if (positionals.length !== 1) usage('folder remove takes exactly one NAME');
            const key = resolveFolder(s, accountId, positionals[0]!)!;
            const { trashed } = await s.folders.remove(accountId, key);
            print(`removed ${pathOf(key).join('/')}${trashed ? `; its ${plural(trashed, 'message')} went to Trash` : ''}`);
            return 0;
          }
          default:
            return usage('folder needs a subcommand: add, rename or remove');
        }
      });
    }
    case 'move':
    case 'copy': {
      const { positionals } = parse(args, {});
      if (positionals.length < 2) usage(`${command} needs message IDs and a FOLDER`);
      const ids = positionals.slice(0, -1);
      const typed = positionals[positionals.length - 1]!;
      return withService(dataDir, async (s) => {
        const groups = byAccount(s, ids);
        const targets = new Map([...groups.keys()].map((a) => [a, resolveFolder(s, a, typed)!]));
        let made = 0;
        for (const [accountId, list] of groups) {
          if (command === 'move') await s.moveMessages(list, targets.get(accountId)!);
          else made += (await s.copyMessages(list, targets.get(accountId)!)).length;
        }
        const shown = pathOf(targets.values().next().value ?? INBOX).join('/');
        print(command === 'move' ? `moved ${plural(ids.length, 'message')} to ${shown}` : `copied ${plural(made, 'message')} to ${shown}`);
        return 0;
      });
    }
    case 'archive':
    case 'trash':
    case 'restore': {
      const { positionals } = parse(args, {});
      if (positionals.length === 0) usage(`${command} needs at least one message ID`);
      return withService(dataDir, async (s) => {
        if (command === 'archive') await s.archive(positionals);
        else if (command === 'trash') await s.moveToTrash(positionals);
        else await s.restore(positionals);
        const done = { archive: 'archived', trash: 'moved to Trash', restore: 'restored' }[command];
        print(`${done} ${plural(positionals.length, 'message')}`);
        return 0;
      });
    }
    case 'empty-trash': {
      const { values, positionals } = parse(args, { account: { type: 'string' } });
      if (positionals.length) usage('empty-trash takes no arguments (use --account NAME)');
      return withService(dataDir, async (s) => {
        const accountId = values.account !== undefined ? s.accounts.get(values.account).id : undefined;
        const n = s.messages(accountId ? { accountId } : {}).filter((m) => m.folder === 'Trash').length;
        await s.emptyTrash(accountId);
        print(`deleted ${plural(n, 'message')} for good`);
        return 0;
      });
    }
    default:
      return usage(`unknown command ${JSON.stringify(command)}`);
  }
}
