/**
 * `popbox server …` (issue 16 §3): what an account's POP3 mailbox holds, seen without
 * downloading it, and deleting or downloading chosen messages there by UIDL. The terminal is the
 * user: a delete asks nothing more, but says what will go before and what happened after.
 */
import type { ServerListing, ServerMessage } from '../../shared/server-view.js';
import { fitColumn } from './columns.js';
import { parse, plural, print, terminalWidth, usage, withService } from './common.js';

export const SERVER_USAGE = `  server ACCOUNT [--refresh] [--json]      (what the server holds: number, UIDL, state, size, date,
        from, subject, and its totals; --refresh connects, else the last listing without connecting)
  server delete ACCOUNT UIDL...           (delete these on the server without downloading them:
        gone from every device that reads the mailbox; a downloaded copy here stays)
  server download ACCOUNT UIDL... [--headers-only]`;

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return n === 1 ? '1 byte' : `${n} bytes`;
}

const LOCAL: Record<ServerMessage['local'], string> = {
  downloaded: 'downloaded',
  'headers-only': 'headers only',
  'not-downloaded': 'not downloaded',
  'deleted-here': 'deleted here',
};

const PENDING: Record<NonNullable<ServerMessage['pendingDeletion']>, string> = {
  downloaded: 'downloaded',
  expired: 'kept long enough',
  'deleted-locally': 'deleted here',
  filtered: 'a filter',
  chosen: 'you chose it',
};

/** Where it stands, in words: local state, held or suspected junk, the deletion to come. */
export function stateWords(m: ServerMessage): string {
  const parts = [m.heldAsJunk ? 'held as junk' : LOCAL[m.local]];
  if (!m.heldAsJunk && m.junk?.verdict === 'junk') parts.push('junk?');
  if (m.pendingDeletion) parts.push(`deleted at next check (${PENDING[m.pendingDeletion]})`);
  return parts.join(', ');
}

function table(l: ServerListing, numbers: ReadonlyMap<string, number>, width: number): string[] {
  const lines: string[] = [];
  // Never cut: it is what `server delete|download` take (RFC 1939: at most 70 characters).
  const uidlWidth = Math.max(4, ...l.messages.map((m) => m.uidl.length));
  for (const m of l.messages) {
    const head = `${String(numbers.get(m.uidl) ?? '').padStart(5)}  ${fitColumn(m.uidl, uidlWidth)}  ${fitColumn(stateWords(m), 22)}  ${formatBytes(m.size).padStart(8)}  ${(m.date ?? '').slice(0, 10).padEnd(10)}  `;
    const rest = Math.max(20, width - head.length);
    const from = Math.min(28, Math.max(10, Math.round(rest * 0.35)));
    const subject = m.headersKnown ? m.subject || '(no subject)' : '(headers not fetched yet)';
    lines.push(`${head}${fitColumn(m.from, from)}  ${fitColumn(subject, Math.max(10, rest - from - 2), false)}`);
  }
  return lines;
}

function totals(l: ServerListing): string {
  if (l.listedAt === null) return 'never listed: run "popbox server ACCOUNT --refresh" to connect and look';
  const parts = [`${plural(l.messageCount, 'message')}, ${formatBytes(l.mailboxBytes)} on the server`, `listed ${new Date(l.listedAt).toISOString().replace('T', ' ').slice(0, 16)} UTC`];
  if (l.headersPending > 0) parts.push(`${l.headersPending} without headers yet (each --refresh fetches up to 500 more)`);
  if (l.truncated) parts.push(`only the newest ${l.messages.length} shown`);
  return parts.join('; ');
}

export async function serverCommand(dataDir: string, args: string[]): Promise<number> {
  const [first, ...rest] = args;
  if ((first === 'delete' || first === 'download') && rest.length > 0) {
    const { values, positionals } = parse(rest, first === 'download' ? { 'headers-only': { type: 'boolean' } } : {});
    const [account, ...uidls] = positionals;
    if (!account || uidls.length === 0) usage(`server ${first} needs an ACCOUNT and at least one UIDL (see "popbox server ACCOUNT")`);
    return withService(dataDir, async (s) => {
      if (first === 'download') {
        const headersOnly = (values as { 'headers-only'?: boolean })['headers-only'] === true;
        const r = await s.downloadFromServer(account, uidls, { headersOnly });
        print(`downloaded ${r.downloaded}${headersOnly ? ' (headers only)' : ''}; ${r.alreadyHere} already here; ${r.gone} no longer on the server`);
        return 0;
      }
      // What will go, from the last listing (the deletion itself matches UIDLs on the server now).
      const known = new Map((await s.serverListing(account)).messages.map((m) => [m.uidl, m]));
      print(`deleting on the server (gone from every device that reads this mailbox):`);
      for (const u of new Set(uidls)) {
        const m = known.get(u);
        print(`  ${u}  ${m ? `${stateWords(m)}  ${m.from ? `${m.from}: ` : ''}${m.subject || '(no subject)'}` : '(not in the last listing)'}`);
      }
      const r = await s.deleteOnServer(account, uidls);
      print(`deleted ${r.deleted} on the server${r.gone ? `; ${r.gone} ${r.gone === 1 ? 'was' : 'were'} no longer there` : ''}`);
      return 0;
    });
  }
  const { values, positionals } = parse(args, { refresh: { type: 'boolean' }, json: { type: 'boolean' } });
  if (positionals.length !== 1) usage('server takes one ACCOUNT (or: server delete|download ACCOUNT UIDL...)');
  const account = positionals[0]!;
  return withService(dataDir, async (s) => {
    const l = await s.serverListing(account, { refresh: values.refresh === true });
    if (values.json) {
      print(JSON.stringify(l, null, 2));
      return 0;
    }
    const numbers = await s.serverView.numbers(account);
    for (const line of table(l, numbers, terminalWidth())) print(line);
    print(totals(l));
    return 0;
  });
}
