/**
 * The CLI's side of sending (issue 15 §1, §6): the outgoing-server options of `account add|set`
 * and the `identity` commands. The settings go through the same AccountsService as the app's, so
 * the same rules hold (a moved server forgets its stored password; an account that sends has an
 * identity).
 */
import fs from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import type { AccountSettings, Identity, IdentityInput, Security, SmtpMechanism, SmtpServerPatch } from '../../shared/accounts.js';
import { AppFailure, quoteForMessage } from '../core/errors.js';
import { cliIo, parse, print, usage, withService } from './common.js';

export const SMTP_USAGE = `  account add|set NAME … [--smtp-host H] [--smtp-port P] [--smtp-security tls|starttls|none]
        [--smtp-user U] (--smtp-password-stdin | --smtp-password-command CMD | --smtp-same-password)
        [--smtp-no-auth] [--smtp-mechanism PLAIN|LOGIN|CRAM-MD5|XOAUTH2] [--smtp-tls-fingerprint SHA256]
        [--smtp-allow-insecure-auth] [--from ADDR] [--from-name NAME]
        (the outgoing server; port defaults to 465 with tls, 587 with starttls, 25 with none;
        without --smtp-user, or with --smtp-no-auth, no login; set: --no-smtp removes it)
  identity add ACCOUNT --address A [--name N] [--reply-to R] [--signature TEXT | --signature-file F] [--default]
  identity list [ACCOUNT] [--json]
  identity remove ACCOUNT ADDRESS`;

export const smtpOptions = {
  smtp: { type: 'boolean' },
  'smtp-host': { type: 'string' },
  'smtp-port': { type: 'string' },
  'smtp-security': { type: 'string' },
  'smtp-user': { type: 'string' },
  'smtp-password-stdin': { type: 'boolean' },
  'smtp-password-command': { type: 'string' },
  'smtp-same-password': { type: 'boolean' },
  'smtp-no-auth': { type: 'boolean' },
  'smtp-mechanism': { type: 'string' },
  'smtp-tls-fingerprint': { type: 'string' },
  'smtp-allow-insecure-auth': { type: 'boolean' },
  from: { type: 'string' },
  'from-name': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

type SmtpValues = { [K in keyof typeof smtpOptions]?: (typeof smtpOptions)[K]['type'] extends 'string' ? string : boolean };

const MECHANISMS: readonly SmtpMechanism[] = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'];
const DEFAULT_PORT: Record<Security, number> = { tls: 465, starttls: 587, plain: 25 };

function smtpSecurity(value: string): Security {
  if (value === 'none') return 'plain';
  if (value === 'tls' || value === 'starttls') return value;
  return usage('--smtp-security must be tls, starttls or none');
}

function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) usage('--smtp-port must be a whole number from 1 to 65535');
  return Number(value);
}

/** Whether any outgoing-server option was given (beyond --from). */
export function hasSmtpOptions(v: SmtpValues): boolean {
  return (Object.keys(smtpOptions) as (keyof SmtpValues)[]).some((k) => v[k] !== undefined && k !== 'from' && k !== 'from-name');
}

/**
 * The outgoing-server part of an account add or change: the patch (null removes the server,
 * undefined leaves it) and which password arrives on standard input. `current` is the stored
 * server (null for a new account or one without).
 */
export function smtpPatch(v: SmtpValues, current: AccountSettings['smtp'] | null): SmtpServerPatch | null | undefined {
  if (v.smtp === true) usage('--smtp is not an option: use --smtp-host H … (or --no-smtp to remove the outgoing server)');
  if (v.smtp === false) {
    if (hasSmtpOptions({ ...v, smtp: undefined })) usage('--no-smtp removes the outgoing server: give no other --smtp-… option with it');
    return null;
  }
  if (!hasSmtpOptions(v)) return undefined;
  const sources = [v['smtp-password-stdin'], v['smtp-password-command'] !== undefined, v['smtp-same-password']].filter(Boolean).length;
  if (sources > 1) usage('give one of --smtp-password-stdin, --smtp-password-command, --smtp-same-password');
  if (v['smtp-no-auth'] && (sources > 0 || v['smtp-user'] !== undefined || v['smtp-mechanism'] !== undefined)) {
    usage('--smtp-no-auth: no login, so no --smtp-user, --smtp-mechanism or SMTP password');
  }

  const patch: SmtpServerPatch = {};
  if (v['smtp-host'] !== undefined) patch.host = v['smtp-host'];
  else if (current === null) usage('an outgoing server needs --smtp-host');
  if (v['smtp-security'] !== undefined) patch.security = smtpSecurity(v['smtp-security']);
  else if (current === null) patch.security = 'tls';
  if (v['smtp-port'] !== undefined) patch.port = port(v['smtp-port']);
  else if (current === null || patch.security !== undefined) patch.port = DEFAULT_PORT[patch.security ?? current!.security];
  if (v['smtp-tls-fingerprint'] !== undefined) patch.tlsFingerprint = v['smtp-tls-fingerprint'];
  if (v['smtp-allow-insecure-auth'] !== undefined) patch.allowInsecureAuth = v['smtp-allow-insecure-auth'];
  if (v['smtp-mechanism'] !== undefined) {
    const m = v['smtp-mechanism'].toUpperCase() as SmtpMechanism;
    if (!MECHANISMS.includes(m)) usage(`--smtp-mechanism must be one of ${MECHANISMS.join(', ')}`);
    patch.mechanism = m;
  }
  if (v['smtp-user'] !== undefined) patch.user = v['smtp-user'];
  if (v['smtp-password-command'] !== undefined) patch.password = { source: 'command', command: v['smtp-password-command'] };
  else if (v['smtp-same-password']) patch.password = { source: 'incoming' };
  else if (v['smtp-password-stdin']) patch.password = { source: 'keychain' };

  const loginGiven = patch.user !== undefined || sources > 0 || patch.mechanism !== undefined;
  if (v['smtp-no-auth']) patch.auth = 'none';
  else if (loginGiven) patch.auth = 'password';
  else if (current === null || current.auth === 'none') {
    // The issue's form: without a user, no SMTP authentication.
    patch.auth = 'none';
  }
  if (patch.auth === 'password' && (current === null || current.auth === 'none')) {
    if (patch.user === undefined && current?.user === undefined) usage('an outgoing server that logs in needs --smtp-user');
    if (sources === 0) usage('an outgoing server that logs in needs --smtp-password-stdin, --smtp-password-command or --smtp-same-password');
  }
  return patch;
}

export { describeSmtp } from './describe.js';

/** "Name <address>" or the address alone. */
function fromLine(i: Pick<Identity, 'name' | 'address'>): string {
  return i.name ? `${i.name} <${i.address}>` : i.address;
}

/** The identity from --from/--from-name of account add. */
export function fromIdentity(v: SmtpValues): IdentityInput[] | undefined {
  if (v['from-name'] !== undefined && v.from === undefined) usage('--from-name needs --from ADDR');
  if (v.from === undefined) return undefined;
  return [{ address: v.from, ...(v['from-name'] !== undefined ? { name: v['from-name'] } : {}) }];
}

const identityAddOptions = {
  name: { type: 'string' },
  address: { type: 'string' },
  'reply-to': { type: 'string' },
  signature: { type: 'string' },
  'signature-file': { type: 'string' },
  default: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

function readSignatureFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new AppFailure('invalid', `--signature-file: cannot read ${quoteForMessage(file)} (${code})`);
  }
}

function identityJson(a: AccountSettings, i: Identity, index: number) {
  return { account: a.name, ...i, default: i.default === true || (index === 0 && !a.identities.some((x) => x.default)) };
}

export async function identityCommand(dataDir: string, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add': {
      const { values, positionals } = parse(rest, identityAddOptions);
      if (positionals.length !== 1) usage('identity add takes exactly one ACCOUNT');
      if (values.address === undefined) usage('identity add needs --address');
      if (values.signature !== undefined && values['signature-file'] !== undefined) usage('give --signature or --signature-file, not both');
      const signature = values['signature-file'] !== undefined ? readSignatureFile(values['signature-file']) : values.signature;
      const identity: IdentityInput = {
        address: values.address,
        ...(values.name !== undefined ? { name: values.name } : {}),
        ...(values['reply-to'] !== undefined ? { replyTo: values['reply-to'] } : {}),
        ...(signature !== undefined && signature !== '' ? { signature } : {}),
        ...(values.default ? { default: true } : {}),
      };
      const account = await withService(dataDir, async (s) => {
        const a = s.accounts.get(positionals[0]!);
        const existing: IdentityInput[] = a.identities.map((i) => (values.default ? withoutDefault(i) : i));
        return s.updateAccount(a.id, { identities: [...existing, identity] }, undefined, { fromCommandLine: true });
      });
      const added = account.identities.find((i) => i.address.toLowerCase() === values.address!.toLowerCase())!;
      print(`added ${fromLine(added)} to ${account.name}${added.default ? ' (default)' : ''}`);
      return 0;
    }
    case 'list': {
      const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
      if (positionals.length > 1) usage('identity list takes at most one ACCOUNT');
      const accounts = await withService(dataDir, async (s) => (positionals[0] !== undefined ? [s.accounts.get(positionals[0])] : s.listAccounts()));
      const rows = accounts.flatMap((a) => a.identities.map((i, n) => identityJson(a, i, n)));
      if (values.json) print(JSON.stringify(rows, null, 2));
      else if (rows.length === 0) print('no identities yet: add one with "popbox identity add ACCOUNT --address ADDR"');
      else {
        for (const r of rows) {
          print(`${r.account}\t${fromLine(r)}${r.replyTo ? `\treply-to ${r.replyTo}` : ''}${r.default ? '\tdefault' : ''}`);
        }
      }
      return 0;
    }
    case 'remove': {
      const { positionals } = parse(rest, {});
      if (positionals.length !== 2) usage('identity remove takes an ACCOUNT and an ADDRESS');
      const [name, address] = positionals as [string, string];
      const account = await withService(dataDir, async (s) => {
        const a = s.accounts.get(name);
        const keep = a.identities.filter((i) => i.address.toLowerCase() !== address.toLowerCase());
        if (keep.length === a.identities.length) throw new AppFailure('not-found', `${a.name} has no identity ${quoteForMessage(address)}`);
        if (keep.length === 0 && a.smtp !== null) {
          throw new AppFailure('invalid', `${address} is the only identity of ${a.name}, which sends mail: add another first (or remove the outgoing server with "account set ${a.name} --no-smtp")`);
        }
        return s.updateAccount(a.id, { identities: keep }, undefined, { fromCommandLine: true });
      });
      print(`removed ${address} from ${account.name}`);
      return 0;
    }
    default:
      return usage('identity needs a subcommand: add, list or remove');
  }
}

function withoutDefault(i: Identity): IdentityInput {
  const { default: _default, ...rest } = i;
  return rest;
}

/** The outgoing password from standard input, as readPasswordStdin does for the incoming one. */
export function readSmtpPasswordStdin(): string {
  const text = cliIo().stdin();
  if (text === undefined) return usage('--smtp-password-stdin: nothing could be read from standard input');
  const password = text.replace(/\r?\n$/, '');
  if (!password) usage('--smtp-password-stdin: the password read from standard input is empty');
  return password;
}
