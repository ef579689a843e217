/**
 * `popbox rules …` (issue 16 §1): list, add and remove filters, and run them now over a folder
 * or some messages. Conditions and actions are typed as words (core/rules/rule-text.ts).
 */
import { FILTERS_REACH_WORDS, INBOX, filtersReach, parseFolderArg, pathOf } from '../../shared/folders.js';
import { sameRuleName, scopeWords, type Rule, type RuleInput, type RuleOutcome } from '../../shared/rules.js';
import type { MailService } from '../core/mail-service.js';
import { AppFailure, isAppFailure } from '../core/errors.js';
import { describeAction, describeCondition, parseAction, parseCondition } from '../core/rules/rule-text.js';
import { parse, plural, print, printError, usage, withService } from './common.js';
import { resolveFolder } from './folders.js';

export const RULES_USAGE = `  rules list [--json]         (each rule says whose mail it runs on: an account's, or every account's)
  rules add NAME --if CONDITION... [--any] --then ACTION... [--account NAME]... [--every-account] [--off]
        conditions: 'from|to|cc|recipient|subject|body|account contains|does not contain|is|matches TEXT',
        'header NAME contains TEXT', 'size > 1M', 'age > 30d', 'has attachment', 'no attachment'
        (matches: * any text, ? one character); actions: 'move FOLDER', 'copy FOLDER', mark-read,
        flag, junk, delete, delete-on-server, 'forward ADDRESS' (the message as an attachment, from the
        account's default identity; on new mail only, unless rules run --forward), stop;
        --account: the rule runs on that account's mail only (repeat it for more); without it, or with
        --every-account, on every account's mail, also of accounts added later; --off: saved but not run
  rules set RULE [--name NEW] [--if CONDITION...] [--any|--all] [--then ACTION...]
        [--account NAME]... [--every-account] [--on|--off]
        (RULE: its name, or its number in "rules list"; what is given replaces that part of the
        rule, the rest is kept, and so is its place in the list)
  rules duplicate RULE NEW   (a copy of the rule named NEW, right after it in the list; change it with rules set)
  rules remove RULE
  rules move RULE --to N     (put the rule at position N of the list, 1 = first; rules run in list order)
  rules preview RULE [--folder NAME | --all-folders] [--account NAME] [--json]   (the messages the rule
        would act on, also when it is off; nothing changes; default: every account's Inbox)
  rules run [ID... | --folder NAME | --all-folders] [--account NAME] [--forward] [--json]
        (default: every account's Inbox; --all-folders: ${FILTERS_REACH_WORDS};
        --forward: carry out forward actions too, never twice for one message and address)`;

/** The parts of a rule `rules add` and `rules set` read from their words. */
interface RuleWords {
  name: string;
  /** --name NEW (set only). */
  rename?: string;
  /** --any / --all, when typed. */
  match?: 'all' | 'any';
  conditions: string[];
  actions: string[];
  /** --account, as typed (names or ids, resolved by the service). */
  accounts: string[];
  /** --every-account was typed. */
  everyAccount: boolean;
  /** --on / --off, when typed. */
  enabled?: boolean;
  /** --if / --then were typed (set: with nothing after them is a mistake, not "keep"). */
  saw: { if: boolean; then: boolean };
}

/**
 * The name, then runs of conditions after --if and of actions after --then; --account NAME (or
 * --account=NAME) anywhere, as often as needed, leaves those runs as they were.
 */
function readRuleWords(command: 'add' | 'set', args: readonly string[]): RuleWords {
  const w: Omit<RuleWords, 'name'> & { name?: string } = { conditions: [], actions: [], accounts: [], everyAccount: false, saw: { if: false, then: false } };
  const valueOf = (a: string, flag: string, i: number): string | undefined => (a === flag ? args[i + 1] : a.slice(flag.length + 1));
  let into: string[] | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--if') [into, w.saw.if] = [w.conditions, true];
    else if (a === '--then') [into, w.saw.then] = [w.actions, true];
    else if (a === '--any' || a === '--all') w.match = a === '--any' ? 'any' : 'all';
    else if (a === '--on' || a === '--off') w.enabled = a === '--on';
    else if (a === '--every-account') w.everyAccount = true;
    else if (a === '--account' || a.startsWith('--account=')) {
      const account = valueOf(a, '--account', i);
      if (a === '--account') i++;
      if (account === undefined || account.startsWith('--') || account.trim() === '') usage(`rules ${command} --account needs the name of an account, as in --account Alice`);
      w.accounts.push(account);
    } else if (command === 'set' && (a === '--name' || a.startsWith('--name='))) {
      const name = valueOf(a, '--name', i);
      if (a === '--name') i++;
      if (name === undefined || name.startsWith('--') || name.trim() === '') usage('rules set --name needs the new name, as in --name Receipts');
      w.rename = name;
    } else if (a.startsWith('--')) {
      usage(`rules ${command} does not know the option ${a} (it takes ${command === 'set' ? '--name, ' : ''}--if, --any, --all, --then, --account, --every-account, --on and --off)`);
    } else if (into) into.push(a);
    else if (w.name === undefined) w.name = a;
    else usage(`rules ${command} takes one ${command === 'add' ? 'NAME' : 'RULE'}; ${JSON.stringify(a)} came before --if (quote a name with spaces)`);
  }
  if (w.name === undefined) usage(command === 'add' ? 'rules add needs a NAME' : 'rules set needs the RULE to change: its name, or its number in "rules list"');
  if (w.everyAccount && w.accounts.length > 0) usage(`rules ${command} takes --account or --every-account, not both`);
  if (w.enabled !== undefined && args.includes('--on') && args.includes('--off')) usage(`rules ${command} takes --on or --off, not both`);
  return { ...w, name: w.name };
}

export interface AddArgs {
  name: string;
  match: 'all' | 'any';
  conditions: string[];
  actions: string[];
  /** --account, as typed (names or ids, resolved by the service); none: every account. */
  accounts: string[];
  /** --every-account was typed (the default said out loud). */
  everyAccount: boolean;
  /** --off: saved but not run until "rules set NAME --on" (absent: on). */
  enabled?: boolean;
}

export function parseAddArgs(args: readonly string[]): AddArgs {
  const { name, match = 'all', conditions, actions, accounts, everyAccount, enabled } = readRuleWords('add', args);
  if (conditions.length === 0) usage('rules add needs at least one condition after --if, as in --if "subject contains invoice"');
  if (actions.length === 0) usage('rules add needs at least one action after --then, as in --then "move Receipts"');
  return { name, match, conditions, actions, accounts, everyAccount, ...(enabled !== undefined ? { enabled } : {}) };
}

/** What `rules set` changes; a part not typed is absent and stays as the rule has it. */
export type SetArgs = Omit<RuleWords, 'saw'>;

export function parseSetArgs(args: readonly string[]): SetArgs {
  const { saw, ...typed } = readRuleWords('set', args);
  if (saw.if && typed.conditions.length === 0) usage('rules set --if needs at least one condition after it (they replace the rule\'s conditions)');
  if (saw.then && typed.actions.length === 0) usage('rules set --then needs at least one action after it (they replace the rule\'s actions)');
  const changes = [typed.rename, typed.match, typed.enabled].some((v) => v !== undefined) || saw.if || saw.then || typed.accounts.length > 0 || typed.everyAccount;
  if (!changes) usage('rules set: nothing to change (give --name, --if, --any or --all, --then, --account, --every-account, --on or --off)');
  return typed;
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
function scopeIds(s: MailService, command: string, typed: readonly string[]): string[] {
  const ids = typed.map((nameOrId) => {
    try {
      return s.accounts.get(nameOrId).id;
    } catch (e) {
      if (!isAppFailure(e) || e.code !== 'not-found') throw e;
      const names = s.listAccounts().map((a) => a.name);
      const there = names.length ? `the accounts are ${names.map((n) => JSON.stringify(n)).join(', ')}` : 'add one first with "popbox account add"';
      throw new AppFailure('not-found', `rules ${command} --account: no account ${JSON.stringify(nameOrId)} (${there})`);
    }
  });
  return [...new Set(ids)];
}

/** Names are unique in any case: one another rule (not the one at `except`) has is refused before anything is saved. */
function refuseTakenName(rules: readonly Rule[], name: string, fix: string, except = -1): void {
  if (rules.some((r, i) => i !== except && sameRuleName(r.name, name))) throw new AppFailure('invalid', `there is already a rule named ${JSON.stringify(name.trim())}: ${fix}`);
}

/**
 * The place in the list of the rule typed as RULE: by name (any case), else by its number in
 * `rules list` (a rule named "2" is found by its name first).
 */
function findRule(rules: readonly Rule[], typed: string): number {
  const named = rules.findIndex((r) => sameRuleName(r.name, typed));
  if (named !== -1) return named;
  const n = /^\s*\d+\s*$/.test(typed) ? Number(typed) : 0;
  if (n >= 1 && n <= rules.length) return n - 1;
  throw new AppFailure('not-found', `no rule named ${JSON.stringify(typed)} (see "popbox rules list"${/^\s*\d+\s*$/.test(typed) ? `: there ${rules.length === 1 ? 'is 1 rule' : `are ${rules.length} rules`}` : ''})`);
}

/** Said after a rule that runs on nobody's mail: how to give it an account again. */
function scopeHint(s: MailService, r: Rule): string {
  return r.accounts?.every((id) => !s.listAccounts().some((a) => a.id === id)) ? ' (--account NAME gives it one)' : '';
}

/** The messages `rules run` and `rules preview` look at: the ids typed, or a folder (default: the Inbox) of an account or of every one. */
function messagesToCheck(
  s: MailService,
  positionals: readonly string[],
  where: { folder?: string | undefined; account?: string | undefined; 'all-folders'?: boolean | undefined },
  command: string,
): string[] {
  if ([positionals.length > 0, where.folder !== undefined, where['all-folders'] === true].filter(Boolean).length > 1) usage(`${command} takes message IDs, --folder or --all-folders, one of them`);
  if (positionals.length > 0) {
    for (const id of positionals) if (!s.journal.get(id)) throw new AppFailure('not-found', `no message with id ${JSON.stringify(id)}`);
    return [...positionals];
  }
  const accounts = where.account !== undefined ? [s.accounts.get(where.account)] : s.listAccounts();
  if (where['all-folders']) return accounts.flatMap((a) => s.messages({ accountId: a.id }).filter((m) => filtersReach(m.folder)).map((m) => m.id));
  if (where.folder !== undefined && parseFolderArg(where.folder).length === 0) usage('--folder needs a folder name');
  const ids: string[] = [];
  let found = false;
  for (const a of accounts) {
    const key = where.folder === undefined ? INBOX : resolveFolder(s, a.id, where.folder, { quiet: where.account === undefined });
    if (key === null) continue; // that folder is in some accounts only
    found = true;
    ids.push(...s.messages({ accountId: a.id }).filter((m) => m.folder === key).map((m) => m.id));
  }
  // In no account at all: the plain answer naming the folders there are.
  if (!found && where.folder !== undefined && accounts[0]) resolveFolder(s, accounts[0].id, where.folder);
  return ids;
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
        const accounts = typed.accounts.length ? scopeIds(s, 'add', typed.accounts) : undefined;
        await s.rules.update((rules) => {
          refuseTakenName(rules, typed.name, 'remove it first or choose another name');
          return [...rules, { name: typed.name, enabled: typed.enabled ?? true, match: typed.match, conditions, actions, ...(accounts ? { accounts } : {}) }];
        });
        const saved = (await s.listRules()).find((r) => r.name === typed.name.trim());
        const hint = accounts || typed.everyAccount ? '' : ' (--account NAME limits a rule to one account)';
        print(`added rule ${saved ? describeRule(saved, accountNames(s)) : typed.name}${hint}`);
        return 0;
      });
    }
    case 'set': {
      const typed = parseSetArgs(rest);
      const conditions = typed.conditions.length ? typed.conditions.map(parseCondition) : undefined;
      const actions = typed.actions.length ? typed.actions.map(parseAction) : undefined;
      return withService(dataDir, async (s) => {
        const accounts = typed.accounts.length ? scopeIds(s, 'set', typed.accounts) : undefined;
        let at = 0;
        let before = '';
        // In the store's turn, on the list as it is on disk now: the rule keeps its place.
        const rules = await s.rules.update((list) => {
          at = findRule(list, typed.name);
          const { accounts: scope, ...old } = list[at]!;
          before = JSON.stringify(list[at]);
          if (typed.rename !== undefined) refuseTakenName(list, typed.rename, 'choose another name', at);
          const kept = accounts ?? (typed.everyAccount ? undefined : scope);
          const next: RuleInput = {
            ...old,
            ...(typed.rename !== undefined ? { name: typed.rename } : {}),
            ...(typed.match !== undefined ? { match: typed.match } : {}),
            ...(conditions ? { conditions } : {}),
            ...(actions ? { actions } : {}),
            ...(typed.enabled !== undefined ? { enabled: typed.enabled } : {}),
            ...(kept ? { accounts: kept } : {}),
          };
          return list.map((r, i) => (i === at ? next : r));
        });
        const r = rules[at]!;
        print(`${JSON.stringify(r) === before ? 'no change to rule' : 'changed rule'} ${describeRule(r, accountNames(s))}${scopeHint(s, r)}`);
        return 0;
      });
    }
    case 'duplicate': {
      const { positionals } = parse(rest, {});
      if (positionals.length !== 2) usage('rules duplicate takes a NAME (or the rule\'s number in "rules list") and the copy\'s new name, as in: rules duplicate Receipts "Receipts for Bob"');
      const [typed, copyName] = positionals as [string, string];
      return withService(dataDir, async (s) => {
        let at = 0;
        const rules = await s.rules.update((list) => {
          at = findRule(list, typed) + 1;
          refuseTakenName(list, copyName, 'choose another name');
          // Right after the rule it copies, as the screen's Duplicate puts it: the same place in the order.
          return [...list.slice(0, at), { ...list[at - 1]!, name: copyName }, ...list.slice(at)];
        });
        print(`added rule ${describeRule(rules[at]!, accountNames(s))}${scopeHint(s, rules[at]!)} (position ${at + 1} of ${rules.length}, after ${rules[at - 1]!.name})`);
        return 0;
      });
    }
    case 'remove': {
      const { positionals } = parse(rest, {});
      if (positionals.length !== 1) usage('rules remove takes exactly one NAME (or the rule\'s number in "rules list")');
      return withService(dataDir, async (s) => {
        let removed = '';
        await s.rules.update((rules) => {
          const at = findRule(rules, positionals[0]!);
          // As typed when found by its name (as always); by its number, the name it had.
          removed = sameRuleName(rules[at]!.name, positionals[0]!) ? positionals[0]! : rules[at]!.name;
          return rules.filter((_, i) => i !== at);
        });
        print(`removed rule ${removed}`);
        return 0;
      });
    }
    case 'move': {
      const { values, positionals } = parse(rest, { to: { type: 'string' } });
      if (positionals.length !== 1) usage('rules move takes exactly one NAME (or the rule\'s number in "rules list") and --to N');
      const to = Number(values.to);
      if (values.to === undefined || !/^\d+$/.test(values.to.trim()) || to < 1) usage('rules move needs --to N, a position from 1 (the first rule) on');
      return withService(dataDir, async (s) => {
        let at = 0;
        const rules = await s.rules.update((list) => {
          const from = findRule(list, positionals[0]!);
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
    case 'preview': {
      const { values, positionals } = parse(rest, { folder: { type: 'string' }, 'all-folders': { type: 'boolean' }, account: { type: 'string' }, json: { type: 'boolean' } });
      if (positionals.length !== 1) usage('rules preview takes exactly one NAME (or the rule\'s number in "rules list")');
      return withService(dataDir, async (s) => {
        const rules = await s.listRules();
        const rule = rules[findRule(rules, positionals[0]!)]!;
        const ids = messagesToCheck(s, [], values, 'rules preview');
        // The screen's preview: the rule alone, on or off, over what it would look at; nothing changes.
        const matched = await s.previewRule(rule, ids);
        const nameOf = accountNames(s);
        const rows = matched.map((id) => {
          const m = s.journal.get(id)!;
          const from = m.summary.from[0];
          return { id, account: nameOf(m.accountId) ?? m.accountId, folder: pathOf(m.folder).join('/'), from: from ? from.address || from.name : '', subject: m.summary.subject };
        });
        if (values.json) {
          print(JSON.stringify(rows, null, 2));
          return 0;
        }
        for (const m of rows) print(`${m.id}  ${m.account}  ${m.folder}  ${m.from || '(no sender)'}  ${JSON.stringify(m.subject || '(no subject)')}`);
        const where = `${values.account !== undefined ? `${s.accounts.get(values.account).name}'s` : "every account's"} ${values['all-folders'] ? FILTERS_REACH_WORDS.replace('all ', '') : (values.folder ?? 'Inbox')}`;
        const word = /^[\w.@-]+$/.test(rule.name) ? rule.name : `'${rule.name.replace(/'/g, "'\\''")}'`;
        const off = rule.enabled ? '' : ` (it is off: "popbox rules set ${word} --on" runs it on new mail)`;
        print(`${matched.length} of ${plural(ids.length, 'message')} in ${where} match ${describeRule(rule, nameOf)}${scopeHint(s, rule)}; nothing was changed${off}`);
        return 0;
      });
    }
    case 'run': {
      const { values, positionals } = parse(rest, { folder: { type: 'string' }, 'all-folders': { type: 'boolean' }, account: { type: 'string' }, forward: { type: 'boolean' }, json: { type: 'boolean' } });
      return withService(dataDir, async (s) => {
        const ids = messagesToCheck(s, positionals, values, 'rules run');
        // What a filter could not do (a forward held back, a folder that failed) is said here too.
        const off = s.on('notice', (n) => printError(`popbox: ${n.message}`));
        // runRules takes so many at a time, and here "choose fewer" is no answer (an Inbox cannot
        // be cut smaller): the folder goes through in slices, as arrival does. Loaded with the service.
        const { MAX_RUN_IDS } = await import('../core/rules/run-rules.js');
        const outcomes: RuleOutcome[] = [];
        try {
          for (let i = 0; i < ids.length; i += MAX_RUN_IDS) outcomes.push(...(await s.runRules(ids.slice(i, i + MAX_RUN_IDS), { forward: values.forward === true })));
        } finally {
          off();
        }
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
      return usage('rules needs a subcommand: list, add, set, duplicate, remove, move, preview or run');
  }
}
