/**
 * The CLI's commands, runnable in either process: this one (index.ts, nothing else holds the
 * data directory) or the Popbox process that holds it (serve.ts, through its control socket).
 * Everything a command prints goes through `io` (common.ts), so both give the same bytes and
 * the same exit code: 0 done; 1 an operation failed (one line per failure on stderr); 2 bad input.
 */
import type { ParseArgsConfig } from 'node:util';
import type { AccountInput, AccountPatch, AccountSettings, AuthMechanism } from '../../shared/accounts.js';
import { AUTH_MECHANISMS, Pop3Client, isPop3Error, type Security } from '../core/pop3/index.js';
import { isAppFailure } from '../core/errors.js';
import type { StoredMessage } from '../core/mail-service.js';
import { defaultDataDir } from '../core/data-dir.js';
import { LOCAL_COMMANDS, splitArgs } from './args.js';
import { describeAccount } from './describe.js';
import { pathOf, roleKey } from '../../shared/folders.js';
import { fitColumn } from './columns.js';
import { UsageError, cliIo, parse, print, printError, terminalWidth, usage, withIo, withService, type CliIo } from './common.js';
import { FOLDER_USAGE, folderCommand, resolveFolder } from './folders.js';
import { SEND_USAGE, sendCommand } from './send.js';
import { JUNK_USAGE, junkCommand } from './junk.js';
import { RULES_USAGE, rulesCommand } from './rules.js';
import { THREADS_USAGE, threadsCommand } from './threads.js';
import { SERVER_USAGE, serverCommand } from './server.js';
import { SMTP_USAGE, fromIdentity, hasSmtpOptions, identityCommand, readSmtpPasswordStdin, smtpOptions, smtpPatch } from './outgoing.js';

const USAGE = `usage: popbox [--data-dir DIR] <command>

  account add NAME --host H --port P --security tls|starttls|none --user U
        (--password-stdin | --password-command CMD) [--tls-fingerprint SHA256]
        [--leave-on-server] [--delete-after-days N] [--delete-when-deleted-locally]
        [--max-size KB] [--no-pipelining] [--check-every MIN] [--junk-on-server yes|no]
        [--mechanism ${AUTH_MECHANISMS.join('|')}] [--allow-insecure-auth] [--email ADDR]
  account set NAME [the same options; --no-leave-on-server, --no-delete-when-deleted-locally,
        --pipelining, --delete-after-days 0 and --max-size 0 turn things off]
${SMTP_USAGE}
  account list [--json]
  account remove NAME
  sync [NAME...]
  messages [--account NAME] [--folder NAME] [--json]
  search QUERY... [--account NAME] [--folder NAME] [--limit N] [--json]
${FOLDER_USAGE}
${SEND_USAGE}
${JUNK_USAGE}
${RULES_USAGE}
${THREADS_USAGE}
${SERVER_USAGE}
  delete ID...
  pending [--account NAME] [--json]
  probe --host H [--port P] [--security tls|starttls|none] --user U [--password-command CMD] [--trace]

The data directory defaults to the desktop app's (${defaultDataDir()}); POPBOX_DATA_DIR overrides it.`;

const accountOptions = {
  host: { type: 'string' },
  port: { type: 'string' },
  security: { type: 'string' },
  user: { type: 'string' },
  email: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  'password-command': { type: 'string' },
  'tls-fingerprint': { type: 'string' },
  'leave-on-server': { type: 'boolean' },
  'delete-after-days': { type: 'string' },
  'delete-when-deleted-locally': { type: 'boolean' },
  'max-size': { type: 'string' },
  pipelining: { type: 'boolean' },
  'check-every': { type: 'string' },
  mechanism: { type: 'string' },
  'allow-insecure-auth': { type: 'boolean' },
  'junk-on-server': { type: 'string' },
  ...smtpOptions,
} as const satisfies ParseArgsConfig['options'];

function wholeNumber(flag: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) usage(`--${flag} must be a whole number from ${min} to ${max}`);
  return Number(value);
}

function security(value: string): Security {
  if (value === 'none') return 'plain';
  if (value === 'tls' || value === 'starttls') return value;
  return usage('--security must be tls, starttls or none');
}

type AccountValues = ReturnType<typeof parse<typeof accountOptions>>['values'];

/** The account fields the options name; absent options are absent, so `set` changes only those. */
function accountFields(v: AccountValues): AccountPatch {
  const patch: AccountPatch = {};
  if (v.host !== undefined) patch.host = v.host;
  if (v.port !== undefined) patch.port = wholeNumber('port', v.port, 1, 65535);
  if (v.security !== undefined) patch.security = security(v.security);
  if (v.user !== undefined) patch.user = v.user;
  if (v.email !== undefined) patch.email = v.email;
  if (v['tls-fingerprint'] !== undefined) patch.tlsFingerprint = v['tls-fingerprint'];
  if (v['leave-on-server'] !== undefined) patch.leaveOnServer = v['leave-on-server'];
  if (v['delete-after-days'] !== undefined) {
    const n = wholeNumber('delete-after-days', v['delete-after-days'], 0, 36500);
    patch.deleteAfterDays = n === 0 ? null : n;
  }
  if (v['delete-when-deleted-locally'] !== undefined) patch.deleteWhenDeletedLocally = v['delete-when-deleted-locally'];
  if (v['max-size'] !== undefined) {
    const n = wholeNumber('max-size', v['max-size'], 0, 1024 * 1024 * 1024);
    patch.maxMessageSizeKB = n === 0 ? null : n;
  }
  if (v.pipelining !== undefined) patch.pipelining = v.pipelining;
  if (v['check-every'] !== undefined) patch.checkEveryMinutes = wholeNumber('check-every', v['check-every'], 1, 1440);
  if (v.mechanism !== undefined) {
    const m = v.mechanism.toUpperCase() as AuthMechanism;
    if (!AUTH_MECHANISMS.includes(m)) usage(`--mechanism must be one of ${AUTH_MECHANISMS.join(', ')}`);
    patch.authMechanism = m;
  }
  if (v['allow-insecure-auth'] !== undefined) patch.allowInsecureAuth = v['allow-insecure-auth'];
  if (v['junk-on-server'] !== undefined) {
    if (v['junk-on-server'] !== 'yes' && v['junk-on-server'] !== 'no') usage('--junk-on-server must be yes or no');
    patch.junkOnServer = v['junk-on-server'] === 'yes';
  }
  if (v['password-command'] !== undefined) patch.password = { source: 'command', command: v['password-command'] };
  else if (v['password-stdin']) patch.password = { source: 'keychain' };
  return patch;
}

/** The password from standard input: everything, less one trailing line ending. */
function readPasswordStdin(): string {
  const text = cliIo().stdin();
  if (text === undefined) return usage('--password-stdin: nothing could be read from standard input');
  const password = text.replace(/\r?\n$/, '');
  if (!password) usage('--password-stdin: the password read from standard input is empty');
  return password;
}

/** Account settings for --json: everything but a password command (it may hold a secret). */
function publicAccount(a: AccountSettings) {
  return { ...a, password: { source: a.password.source }, smtp: a.smtp && { ...a.smtp, password: { source: a.smtp.password.source } } };
}

/** Only one password can come on standard input. */
function checkStdinPasswords(v: AccountValues): void {
  if (v['password-stdin'] && v['smtp-password-stdin']) {
    usage('only one password can be read from standard input: use --smtp-same-password, or a password command for one of them');
  }
}

function formatAddress(list: { name: string; address: string }[]): string {
  const first = list[0];
  if (!first) return '';
  return first.name ? `${first.name} <${first.address}>` : first.address;
}

/** One table row per message, the sender and subject cut to fit the terminal. */
function messageRow(m: StoredMessage, width: number): string {
  const marks = `${m.flags.seen ? ' ' : 'N'}${m.flags.flagged ? 'F' : ' '}${m.partial ? 'P' : ' '}`;
  const head = `${m.id}  ${marks}  ${fitColumn(pathOf(m.folder).join('/'), 12)}  ${(m.summary.date ?? '').slice(0, 10).padEnd(10)}  `;
  const rest = width - head.length - 2;
  const from = Math.min(30, Math.max(12, Math.round(rest * 0.35)));
  return `${head}${fitColumn(formatAddress(m.summary.from), from)}  ${fitColumn(m.summary.subject, Math.max(10, rest - from), false)}`;
}

function messageJson(m: StoredMessage, accountName: string) {
  return {
    id: m.id,
    account: accountName,
    uidl: m.uidl,
    messageId: m.summary.messageId,
    subject: m.summary.subject,
    from: formatAddress(m.summary.from),
    date: m.summary.date,
    size: m.summary.size,
    seen: m.flags.seen,
    flagged: m.flags.flagged,
    /** Where it is filed ("Inbox", "Archive/2026", "Work/Projects"). */
    folder: pathOf(m.folder).join('/'),
    trashed: m.folder === roleKey('trash'),
    partial: m.partial,
    hasAttachments: m.summary.hasAttachments,
    snippet: m.summary.snippet,
    path: m.path,
  };
}

async function accountCommand(dataDir: string, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add': {
      const { values, positionals } = parse(rest, accountOptions);
      const [name, ...extra] = positionals;
      if (!name || extra.length) usage('account add takes exactly one NAME');
      for (const required of ['host', 'port', 'security', 'user'] as const) {
        if (values[required] === undefined) usage(`account add needs --${required}`);
      }
      if (values['password-stdin'] === undefined && values['password-command'] === undefined) {
        usage('account add needs --password-stdin or --password-command');
      }
      if (values['password-stdin'] && values['password-command'] !== undefined) usage('give --password-stdin or --password-command, not both');
      checkStdinPasswords(values);
      const fields = accountFields(values);
      const smtp = smtpPatch(values, null);
      const identities = fromIdentity(values);
      const password = values['password-stdin'] ? readPasswordStdin() : undefined;
      const smtpPassword = values['smtp-password-stdin'] ? readSmtpPasswordStdin() : undefined;
      const input = { ...fields, name, ...(smtp ? { smtp } : {}), ...(identities ? { identities } : {}) } as AccountInput;
      const account = await withService(dataDir, (s) => s.addAccount(input, password, smtpPassword !== undefined ? { smtpPassword } : {}));
      print(`added ${describeAccount(account)}`);
      return 0;
    }
    case 'set': {
      const { values, positionals } = parse(rest, accountOptions);
      const [name, ...extra] = positionals;
      if (!name || extra.length) usage('account set takes exactly one NAME');
      if (values['password-stdin'] && values['password-command'] !== undefined) usage('give --password-stdin or --password-command, not both');
      checkStdinPasswords(values);
      if (values.from !== undefined || values['from-name'] !== undefined) usage('--from and --from-name are for account add; add an identity with "popbox identity add NAME --address ADDR"');
      const patch = accountFields(values);
      if (Object.keys(patch).length === 0 && !hasSmtpOptions(values)) usage('account set: nothing to change');
      const password = values['password-stdin'] ? readPasswordStdin() : undefined;
      const smtpPassword = values['smtp-password-stdin'] ? readSmtpPasswordStdin() : undefined;
      const account = await withService(dataDir, (s) => {
        const smtp = smtpPatch(values, s.accounts.get(name).smtp);
        return s.updateAccount(name, { ...patch, ...(smtp !== undefined ? { smtp } : {}) }, password, { fromCommandLine: true, ...(smtpPassword !== undefined ? { smtpPassword } : {}) });
      });
      print(`updated ${describeAccount(account)}`);
      return 0;
    }
    case 'list': {
      const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
      if (positionals.length) usage('account list takes no names');
      const accounts = await withService(dataDir, async (s) => s.listAccounts());
      if (values.json) print(JSON.stringify(accounts.map(publicAccount), null, 2));
      else if (accounts.length === 0) print('no accounts yet: add one with "popbox account add"');
      else for (const a of accounts) print(describeAccount(a));
      return 0;
    }
    case 'remove': {
      const { positionals } = parse(rest, {});
      if (positionals.length !== 1) usage('account remove takes exactly one NAME');
      await withService(dataDir, (s) => s.removeAccount(positionals[0]!));
      print(`removed ${positionals[0]} (its mail stays in the data directory)`);
      return 0;
    }
    default:
      return usage('account needs a subcommand: add, set, list or remove');
  }
}

export { LOCAL_COMMANDS, splitArgs };

async function main(argv: string[]): Promise<number> {
  const { dataDir, args } = splitArgs(argv);
  const [command, ...rest] = args;
  switch (command) {
    case 'account':
      return accountCommand(dataDir, rest);
    case 'identity':
    case 'identities':
      return identityCommand(dataDir, rest);
    case 'sync': {
      const { positionals } = parse(rest, {});
      return withService(dataDir, async (s) => {
        const names = new Map(s.listAccounts().map((a) => [a.id, a.name]));
        for (const n of positionals) s.accounts.get(n); // unknown names fail before any session starts
        if (names.size === 0) {
          print('no accounts to sync');
          return 0;
        }
        const outcomes = await s.sync(positionals);
        let failed = 0;
        for (const o of outcomes) {
          const name = names.get(o.accountId) ?? o.accountId;
          if (o.ok) {
            const r = o.result;
            print(
              `${name}: ${r.downloaded} new${r.headersOnly ? `, ${r.headersOnly} headers only` : ''}, ${r.deletedOnServer} deleted on server${r.skipped ? `, ${r.skipped} vanished` : ''}`,
            );
            for (const w of r.warnings) printError(`${name}: warning: ${w}`);
          } else {
            failed++;
            printError(`${name}: ${o.error.code}: ${o.error.message}`);
          }
        }
        return failed ? 1 : 0;
      });
    }
    case 'messages': {
      const { values, positionals } = parse(rest, { account: { type: 'string' }, folder: { type: 'string' }, json: { type: 'boolean' } });
      if (positionals.length) usage('messages takes no arguments (use --account NAME, --folder NAME)');
      return withService(dataDir, async (s) => {
        const names = new Map(s.listAccounts().map((a) => [a.id, a.name]));
        const accountId = values.account !== undefined ? s.accounts.get(values.account).id : undefined;
        let list = s.messages(accountId ? { accountId } : {});
        if (values.folder !== undefined) {
          const wanted = values.folder;
          const keys = new Map<string, string | null>();
          for (const a of s.listAccounts()) if (!accountId || a.id === accountId) keys.set(a.id, resolveFolder(s, a.id, wanted, { quiet: true }));
          if (![...keys.values()].some((k) => k !== null)) resolveFolder(s, accountId ?? s.listAccounts()[0]?.id ?? '', wanted);
          list = list.filter((m) => keys.get(m.accountId) === m.folder);
        }
        if (values.json) print(JSON.stringify(list.map((m) => messageJson(m, names.get(m.accountId) ?? m.accountId)), null, 2));
        else {
          const width = terminalWidth();
          for (const m of list) print(messageRow(m, width));
        }
        return 0;
      });
    }
    case 'search': {
      // Parsed by hand: a query's own "-word" (leave out) must not be taken for an option.
      const opts: { json: boolean; account?: string; folder?: string; limit?: number } = { json: false };
      const words: string[] = [];
      for (let i = 0; i < rest.length; i++) {
        const a = rest[i]!;
        if (a === '--json') opts.json = true;
        else if (a === '--account' || a === '--folder' || a === '--limit') {
          const v = rest[++i];
          if (v === undefined) usage(`${a} needs a value`);
          if (a === '--limit') opts.limit = wholeNumber('limit', v, 1, 10_000);
          else opts[a === '--account' ? 'account' : 'folder'] = v;
        } else if (a === '--') {
          words.push(...rest.slice(i + 1));
          break;
        } else words.push(a);
      }
      const query = words.join(' ');
      if (!query.trim()) usage('search needs a QUERY (words, "phrases", from:, to:, subject:, is:unread, in:FOLDER, before:/after:YYYY-MM-DD, larger:10K, -word …)');
      return withService(dataDir, async (s) => {
        const names = new Map(s.listAccounts().map((a) => [a.id, a.name]));
        const accountId = opts.account !== undefined ? s.accounts.get(opts.account).id : undefined;
        const folder = opts.folder !== undefined ? (resolveFolder(s, accountId ?? s.listAccounts()[0]?.id ?? '', opts.folder) ?? undefined) : undefined;
        // A terminal search answers from everything stored: what is not indexed yet is indexed first.
        await s.searchIndexed();
        const result = await s.search({ query, limit: opts.limit ?? 10_000, ...(accountId ? { accountId } : {}), ...(folder ? { folder } : {}) });
        for (const note of result.ignored) printError(`search: ignored ${note}`);
        const list = result.ids.map((id) => s.storedMessage(id)).filter((m): m is StoredMessage => m !== undefined);
        if (opts.json) print(JSON.stringify(list.map((m) => messageJson(m, names.get(m.accountId) ?? m.accountId)), null, 2));
        else {
          const width = terminalWidth();
          for (const m of list) print(messageRow(m, width));
          if (result.total > list.length) printError(`search: ${result.total} match, ${list.length} shown (--limit)`);
        }
        return 0;
      });
    }
    case 'delete': {
      const { positionals } = parse(rest, {});
      if (positionals.length === 0) usage('delete needs at least one message ID');
      return withService(dataDir, async (s) => {
        await s.deleteForGood(positionals);
        print(`deleted ${positionals.length} message${positionals.length === 1 ? '' : 's'}`);
        return 0;
      });
    }
    case 'pending': {
      const { values, positionals } = parse(rest, { account: { type: 'string' }, json: { type: 'boolean' } });
      if (positionals.length) usage('pending takes no arguments (use --account NAME)');
      return withService(dataDir, async (s) => {
        const names = new Map(s.listAccounts().map((a) => [a.id, a.name]));
        const accountId = values.account !== undefined ? s.accounts.get(values.account).id : undefined;
        const list = await s.pending(accountId ? { accountId } : {});
        if (values.json) {
          print(JSON.stringify(list.map((p) => ({ ...p, account: names.get(p.accountId) ?? p.accountId })), null, 2));
        } else if (list.length === 0) print('no server deletions pending');
        else {
          const width = terminalWidth();
          for (const p of list) {
            // A message chosen in On the server and never downloaded has no id here.
            const head = `${p.id || '(only on server)'}  ${names.get(p.accountId)}  ${p.reason}  `;
            print(`${head}${fitColumn(p.subject, Math.max(10, width - head.length), false)}`);
          }
        }
        return 0;
      });
    }
    case 'folders':
    case 'folder':
    case 'move':
    case 'copy':
    case 'archive':
    case 'trash':
    case 'restore':
    case 'empty-trash':
      return folderCommand(dataDir, command, rest);
    case 'junk':
      return junkCommand(dataDir, rest);
    case 'threads':
      return threadsCommand(dataDir, rest);
    case 'rules':
      return rulesCommand(dataDir, rest);
    case 'server':
      return serverCommand(dataDir, rest);
    case 'send':
    case 'outbox':
      return sendCommand(dataDir, command, rest);
    case 'probe':
      return probe(rest);
    case undefined:
    case 'help':
    case '--help':
      print(USAGE);
      return command === undefined ? 2 : 0;
    default:
      return usage(`unknown command ${JSON.stringify(command)}`);
  }
}

/** Check a server without saving anything: connection, TLS, capabilities, login, mailbox size. */
async function probe(args: string[]): Promise<number> {
  const { values } = parse(args, {
    host: { type: 'string' },
    port: { type: 'string' },
    security: { type: 'string' },
    user: { type: 'string' },
    'password-command': { type: 'string' },
    mechanism: { type: 'string' },
    'tls-fingerprint': { type: 'string' },
    'allow-insecure-auth': { type: 'boolean' },
    pipelining: { type: 'boolean' },
    trace: { type: 'boolean' },
  });
  if (!values.host || !values.user) usage('probe needs --host and --user');
  const sec = security(values.security ?? 'tls');
  const port = values.port ? wholeNumber('port', values.port, 1, 65535) : sec === 'tls' ? 995 : 110;
  const mechanism = values.mechanism?.toUpperCase() as AuthMechanism | undefined;
  if (mechanism && !AUTH_MECHANISMS.includes(mechanism)) usage(`--mechanism must be one of ${AUTH_MECHANISMS.join(', ')}`);
  let password = process.env.POPBOX_PASSWORD;
  if (values['password-command']) {
    const { runPasswordCommand } = await import('../core/secrets/index.js');
    password = await runPasswordCommand(values['password-command']);
  }
  if (password === undefined) usage('probe needs --password-command (or POPBOX_PASSWORD)');
  const pop = await Pop3Client.connect({
    host: values.host,
    port,
    security: sec,
    tls: values['tls-fingerprint'] ? { pinnedFingerprint256: values['tls-fingerprint'] } : {},
    pipelining: values.pipelining !== false,
    ...(values.trace ? { log: (d: 'C' | 'S', l: string) => cliIo().err(`${d}: ${l}\n`) } : {}),
  });
  print(`connected: ${pop.greeting}${pop.secure ? ` (TLS, certificate ${pop.fingerprint256})` : ' (not encrypted)'}`);
  await pop.login({ user: values.user, password, ...(mechanism ? { mechanism } : {}), allowInsecure: values['allow-insecure-auth'] === true });
  const caps = pop.capabilities;
  print(`logged in; capabilities: ${caps ? caps.lines.join(', ') : '(CAPA not supported)'}`);
  print(`pipelining: ${pop.pipelining ? 'on' : 'off'}`);
  if (caps?.loginDelaySeconds !== undefined) print(`login delay: ${caps.loginDelaySeconds} s`);
  if (caps?.expire !== undefined) print(`server keeps retrieved mail: ${caps.expire === 'never' ? 'forever' : `${caps.expire} days`}`);
  const stat = await pop.stat();
  print(`mailbox: ${stat.count} messages, ${(stat.size / 1e6).toFixed(1)} MB`);
  await pop.quit();
  return 0;
}

/**
 * Run one CLI command to its end: what it prints goes to `io`, and so does the one line a
 * failure gets; resolves with the exit code (UsageError and invalid or not-found input → 2,
 * other failures → 1). Never rejects.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  return withIo(io, async () => {
    try {
      return await main(argv);
    } catch (e) {
      if (e instanceof UsageError) {
        io.err(`popbox: ${e.message}\n(see "popbox help")\n`);
        return 2;
      }
      if (isAppFailure(e) || isPop3Error(e)) {
        const extra = isPop3Error(e) && e.fingerprint256 ? ` (certificate fingerprint ${e.fingerprint256}; trust it with --tls-fingerprint)` : '';
        io.err(`popbox: ${e.code}: ${e.message}${extra}\n`);
        return isAppFailure(e) && (e.code === 'invalid' || e.code === 'not-found') ? 2 : 1;
      }
      io.err(`popbox: unexpected error: ${e instanceof Error ? e.stack : String(e)}\n`);
      return 1;
    }
  });
}
