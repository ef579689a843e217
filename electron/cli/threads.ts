/**
 * `popbox threads`: the conversations (issue 17 §3), newest first, each with its message ids
 * (oldest first, across folders and accounts: a reply in Sent is in its thread). A message
 * without replies is a thread of its own, as in notmuch's `search --output=threads`.
 */
import type { MessageRecord } from '../../shared/changes.js';
import { pathOf } from '../../shared/folders.js';
import type { MailService } from '../core/mail-service.js';
import { oneRecordEach, threadMessage } from '../core/threads/journal-threads.js';
import { fitColumn } from './columns.js';
import { parse, plural, print, terminalWidth, usage, withService } from './common.js';
import { resolveFolder } from './folders.js';

export const THREADS_USAGE = `  threads [--account NAME] [--folder NAME] [--json]   (conversations with a message there, newest first)`;

interface ThreadLine {
  thread: string;
  subject: string;
  /** The newest message's date (ISO 8601). */
  newest: string;
  count: number;
  unread: number;
  /** Message ids, oldest first. */
  messages: string[];
  folders: string[];
}

/** Which messages may start a thread's listing: of the account, in the folder (null: any). */
function wantedMessages(s: MailService, account: string | undefined, folder: string | undefined): ((m: MessageRecord) => boolean) | null {
  const accountId = account !== undefined ? s.accounts.get(account).id : undefined;
  if (folder === undefined) return accountId === undefined ? null : (m) => m.accountId === accountId;
  const keys = new Map<string, string | null>();
  for (const a of s.listAccounts()) if (!accountId || a.id === accountId) keys.set(a.id, resolveFolder(s, a.id, folder, { quiet: true }));
  // Known in no account: the failure names the folders there are.
  if (![...keys.values()].some((k) => k !== null)) resolveFolder(s, accountId ?? s.listAccounts()[0]?.id ?? '', folder);
  return (m) => keys.get(m.accountId) === m.folder;
}

export function threadLines(s: MailService, wanted: ((m: MessageRecord) => boolean) | null): ThreadLine[] {
  const index = s.threads();
  const out: ThreadLine[] = [];
  for (const t of index.all()) {
    const stored = t.ids.map((id) => s.journal.get(id)).filter((m): m is MessageRecord => m !== undefined);
    const here = wanted ? stored.filter(wanted).at(-1) : undefined;
    if (stored.length === 0 || (wanted && !here)) continue;
    // Copies of one message (Alice's Sent copy and Bob's Inbox copy) count once: the one asked about.
    const records = oneRecordEach(stored, here ?? null);
    const dated = records.map((m) => ({ m, date: threadMessage(m).date }));
    const newest = Math.max(...dated.map((d) => d.date));
    out.push({
      thread: t.id,
      subject: records[0]!.summary.subject,
      newest: new Date(newest).toISOString(),
      count: records.length,
      unread: records.filter((m) => !m.flags.seen).length,
      messages: records.map((m) => m.id),
      folders: [...new Set(records.map((m) => pathOf(m.folder).join('/')))],
    });
  }
  return out.sort((a, b) => (a.newest < b.newest ? 1 : a.newest > b.newest ? -1 : a.thread.localeCompare(b.thread)));
}

export async function threadsCommand(dataDir: string, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { account: { type: 'string' }, folder: { type: 'string' }, json: { type: 'boolean' } });
  if (positionals.length) usage('threads takes no arguments (use --account NAME, --folder NAME)');
  return withService(dataDir, async (s) => {
    const lines = threadLines(s, wantedMessages(s, values.account, values.folder));
    if (values.json) {
      print(JSON.stringify(lines, null, 2));
      return 0;
    }
    const width = terminalWidth();
    for (const t of lines) {
      const head = `${t.thread}  ${t.newest.slice(0, 10)}  ${plural(t.count, 'message').padEnd(12)}  ${t.unread ? `${t.unread} new`.padEnd(7) : ' '.repeat(7)}  `;
      print(`${head}${fitColumn(t.subject, Math.max(10, width - head.length), false)}`);
      print(`  ${t.messages.join(' ')}`);
    }
    return 0;
  });
}
