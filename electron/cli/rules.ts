/**
 * `popbox rules …` (issue 16 §1): list, add and remove filters, and run them now over a folder
 * or some messages. Conditions and actions are typed as words (core/rules/rule-text.ts).
 */
import { INBOX, parseFolderArg, pathOf } from '../../shared/folders.js';
import { scopeWords, type Rule } from '../../shared/rules.js';
import type { MailService } from '../core/mail-service.js';
import { AppFailure, isAppFailure } from '../core/errors.js';
import { describeAction, describeCondition, parseAction, parseCondition } from '../core/rules/rule-text.js';
import { parse, plural, print, printError, usage, withService } from './common.js';
import { resolveFolder } from './folders.js';

export const RULES_USAGE = `  rules list [--json]         (each rule says whose mail it runs on: an account's, or every account's)
  rules add NAME --if CONDITION... [--any] --then ACTION... [--account NAME]... [--every-account]
        conditions: 'from|to|cc|recipient|subject|body|account contains|does not contain|is|matches TEXT',
        'header NAME contains TEXT', 'size > 1M', 'age > 30d', 'has attachment', 'no attachment'
        (matches: * any text, ? one character); actions: 'move FOLDER', 'copy FOLDER', mark-read,
        flag, junk, delete, delete-on-server, 'forward ADDRESS' (the message as an attachment, from the
        account's default identity; on new mail only, unless rules run --forward), stop;
        --account: the rule runs on that account's mail only (repeat it for more); without it, or with
        --every-account, on every account's mail, also of accounts added later
  rules remove NAME
  rules move NAME --to N     (put the rule at position N of the list, 1 = first; rules run in list order)
  rules run [ID...] [--folder NAME] [--account NAME] [--forward] [--json]   (default: every account's Inbox;
        --forward: carry out forward actions too, never twice for one message and address)`;

export interface AddArgs {
  name: string;
  match: 'all' | 'any';
  conditions: string[];
  actions: string[];
  /** --account, as typed (names or ids, resolved by the service); none: every account. */
  accounts: string[];
  /** --every-account was typed (the default said out loud). */
  everyAccount: boolean;
}

/**
 * `add`'s words: the name, then runs of conditions after --if and of actions after --then;
 * --account NAME (or --account=NAME) anywhere, as often as needed, leaves those runs as they were.
 */
export function parseAddArgs(args: readonly string[]): AddArgs {
  let name: string | undefined;
  let match: 'all' | 'any' = 'all';
  const conditions: string[] = [];
  const actions: string[] = [];
  const accounts: string[] = [];
  let everyAccount = false;
  let into: string[] | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--if') into = conditions;
    else if (a === '--then') into = actions;
    else if (a === '--any') match = 'any';
    else if (a === '--all') match = 'all';
    else if (a === '--every-account') everyAccount = true;
    else if (a === '--account' || a.startsWith('--account=')) {
      const account = a === '--account' ? args[++i] : a.slice('--account='.length);
      if (account === undefined || account.startsWith('--') || account.trim() === '') usage('rules add --account needs the name of an account, as in --account Alice');
      accounts.push(account);
    } else if (a.startsWith('--')) usage(`rules add does not know the option ${a} (it takes --if, --any, --then, --account and --every-account)`);
    else if (into) into.push(a);
    else if (name === undefined) name = a;
    else usage(`rules add takes one NAME; ${JSON.stringify(a)} came before --if (quote a name with spaces)`);
  }
  if (name === undefined) usage('rules add needs a NAME');
  if (conditions.length === 0) usage('rules add needs at least one condition after --if, as in --if "subject contains invoice"');
  if (actions.length === 0) usage('rules add needs at least one action after --then, as in --then "move Receipts"');
  if (everyAccount && accounts.length > 0) usage('rules add takes --account or --every-account, not both');
  return { name, match, conditions, actions, accounts, everyAccount };
}

/** The rule in the words `rules add` reads, then whose mail it runs on (the Filters screen's "Applies to"). */
export function describeRule(r: Rule, nameOf: (id: string) => string | undefined): string {
  const join = r.match === 'all' ? ' and ' : ' or ';
  return `${r.name}${r.enabled ? '' : ' (off)'}: if ${r.conditions.map(describeCondition).join(join)} then ${r.actions.map(describeAction).join(', ')}; applies to ${scopeWords(r.accounts, nameOf)}`;
}

function accountNames(s: MailService): (id: string) => string | undefined {
  const accounts = s.listAccounts();
  return (id) => accounts.find((a) => a.id === id)?.name;
}

/** --account's names or ids as account ids (each once), the way every command finds an account; an unknown one names those there are. */
function scopeIds(s: MailService, typed: readonly string[]): string[] {
  const ids = typed.map((nameOrId) => {
    try {
      return s.accounts.get(nameOrId).id;
    } catch (e) {
      if (!isAppFailure(e) || e.code !== 'not-found') throw e;
      const names = s.listAccounts().map((a) => a.name);
      const there = names.length ? `the accounts are ${names.map((n) => JSON.stringify(n)).join(', ')}` : 'add one first with "popbox account add"';
      throw new AppFailure('not-found', `rules add --account: no account ${JSON.stringify(nameOrId)} (${there})`);
    }
  });
  return [...new Set(ids)];
}

export async function rulesCommand(dataDir: string, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list': {
      const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
      if (positionals.length) usage('rules list takes no arguments');
      return withService(dataDir, async (s) => {
        const rules = await s.listRules();
        if (values.json) print(JSON.stringify(rules, null, 2));
        else if (rules.length === 0) print('no rules yet: add one with "popbox rules add"');
        else {
          const nameOf = accountNames(s);
          rules.forEach((r, i) => print(`${i + 1}. ${describeRule(r, nameOf)}`));
        }
        return 0;
      });
    }
    case 'add': {
      const typed = parseAddArgs(rest);
      // Every word is understood before anything is saved.
      const conditions = typed.conditions.map(parseCondition);
      const actions = typed.actions.map(parseAction);
      return withService(dataDir, async (s) => {
        // No --account: every account, as rules added here always were (and the screen's "Every account").
        const accounts = typed.accounts.length ? scopeIds(s, typed.accounts) : undefined;
        await s.rules.update((rules) => {
          if (rules.some((r) => r.name.toLowerCase() === typed.name.trim().toLowerCase())) {
            throw new AppFailure('invalid', `there is already a rule named ${JSON.stringify(typed.name)}: remove it first or choose another name`);
          }
          return [...rules, { name: typed.name, enabled: true, match: typed.match, conditions, actions, ...(accounts ? { accounts } : {}) }];
        });
        const saved = (await s.listRules()).find((r) => r.name === typed.name.trim());
        const hint = accounts || typed.everyAccount ? '' : ' (--account NAME limits a rule to one account)';
        print(`added rule ${saved ? describeRule(saved, accountNames(s)) : typed.name}${hint}`);
        return 0;
      });
    }
    case 'remove': {
      const { positionals } = parse(rest, {});
      if (positionals.length !== 1) usage('rules remove takes exactly one NAME');
      const name = positionals[0]!;
      return withService(dataDir, async (s) => {
        let found = false;
        await s.rules.update((rules) => {
          const kept = rules.filter((r) => r.name.toLowerCase() !== name.trim().toLowerCase());
          found = kept.length < rules.length;
          return kept;
        });
        if (!found) throw new AppFailure('not-found', `no rule named ${JSON.stringify(name)} (see "popbox rules list")`);
        print(`removed rule ${name}`);
        return 0;
      });
    }
    case 'move': {
      const { values, positionals } = parse(rest, { to: { type: 'string' } });
      if (positionals.length !== 1) usage('rules move takes exactly one NAME and --to N');
      const to = Number(values.to);
      if (values.to === undefined || !/^\d+$/.test(values.to.trim()) || to < 1) usage('rules move needs --to N, a position from 1 (the first rule) on');
      const name = positionals[0]!;
      return withService(dataDir, async (s) => {
        let at = 0;
        const rules = await s.rules.update((list) => {
          const from = list.findIndex((r) => r.name.toLowerCase() === name.trim().toLowerCase());
          if (from === -1) throw new AppFailure('not-found', `no rule named ${JSON.stringify(name)} (see "popbox rules list")`);
          const next = [...list];
          const [rule] = next.splice(from, 1);
          // Past the end is the end: "--to 99" means last.
          at = Math.min(to, list.length);
          next.splice(at - 1, 0, rule!);
          return next;
        });
        print(`moved rule ${rules[at - 1]!.name} to position ${at} of ${rules.length}`);
        return 0;
      });
    }
    case 'run': {
      const { values, positionals } = parse(rest, { folder: { type: 'string' }, account: { type: 'string' }, forward: { type: 'boolean' }, json: { type: 'boolean' } });
      return withService(dataDir, async (s) => {
        let ids: string[];
        if (positionals.length > 0) {
          if (values.folder !== undefined) usage('rules run takes message IDs or --folder, not both');
          for (const id of positionals) if (!s.journal.get(id)) throw new AppFailure('not-found', `no message with id ${JSON.stringify(id)}`);
          ids = positionals;
        } else {
          const accounts = values.account !== undefined ? [s.accounts.get(values.account)] : s.listAccounts();
          if (values.folder !== undefined && parseFolderArg(values.folder).length === 0) usage('--folder needs a folder name');
          ids = [];
          let found = false;
          for (const a of accounts) {
            const key = values.folder === undefined ? INBOX : resolveFolder(s, a.id, values.folder, { quiet: values.account === undefined });
            if (key === null) continue; // that folder is in some accounts only
            found = true;
            ids.push(...s.messages({ accountId: a.id }).filter((m) => m.folder === key).map((m) => m.id));
          }
          // In no account at all: the plain answer naming the folders there are.
          if (!found && values.folder !== undefined && accounts[0]) resolveFolder(s, accounts[0].id, values.folder);
        }
        // What a filter could not do (a forward held back, a folder that failed) is said here too.
        const off = s.on('notice', (n) => printError(`popbox: ${n.message}`));
        const outcomes = await s.runRules(ids, { forward: values.forward === true }).finally(off);
        if (values.json) {
          print(JSON.stringify(outcomes, null, 2));
          return 0;
        }
        for (const o of outcomes) {
          const did = [
            ...(o.movedTo !== undefined ? [`moved to ${pathOf(o.movedTo).join('/')}`] : []),
            ...o.copiedTo.map((k) => `copied to ${pathOf(k).join('/')}`),
            ...(o.markedRead ? ['marked read'] : []),
            ...(o.flagged ? ['flagged'] : []),
            ...(o.deleteOnServer ? ['to be deleted from the server at the next sync'] : []),
            ...(o.forwardedTo ?? []).map((a) => `forwarded to ${a}`),
          ];
          print(`${o.id}  ${JSON.stringify(o.subject || '(no subject)')}: ${did.join(', ') || 'nothing to change'} (${o.rules.join(', ')})`);
        }
        const moved = outcomes.filter((o) => o.movedTo !== undefined).length;
        const forwarded = outcomes.reduce((n, o) => n + (o.forwardedTo?.length ?? 0), 0);
        print(`${plural(ids.length, 'message')} checked, ${outcomes.length} matched, ${moved} moved${forwarded ? `, ${plural(forwarded, 'forward')} in the Outbox (sent by Popbox when it runs, or by "popbox outbox send")` : ''}`);
        return 0;
      });
    }
    default:
      return usage('rules needs a subcommand: list, add, remove, move or run');
  }
}
