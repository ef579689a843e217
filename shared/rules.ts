/**
 * Filters (issue 16 §1): an ordered list of rules, each a set of conditions on a stored
 * message (all or any) and the actions to take when they hold. Rules come from the CLI and
 * later from the settings screen (untrusted): every string and list here is bounded, and
 * "matches" takes a glob (`*`, `?`), never a regular expression from the user.
 */
import { z } from 'zod';
import { AccountId } from './accounts.js';
import { isMailAddress, MAX_ADDRESS_LENGTH } from './address.js';
import { folderPathProblem } from './folders.js';

export const MAX_RULES = 500;
export const MAX_CONDITIONS = 20;
export const MAX_ACTIONS = 10;
/** A pattern longer than this is refused: matching costs text length × pattern length at most. */
export const MAX_PATTERN_CHARS = 256;
/** Accounts one filter may name in its scope. */
export const MAX_SCOPE_ACCOUNTS = 100;
/** Messages one run of the filters takes (the contract's runRules, main's runRules): more go in slices of it. */
export const MAX_RUN_IDS = 10_000;

export const TextOp = z.enum(['contains', 'not-contains', 'is', 'matches']);
export type TextOp = z.infer<typeof TextOp>;

/** Fields read from the journal's summary, except `body` (the stored file, only when a rule asks). */
export const TextField = z.enum(['from', 'to-cc', 'recipient', 'subject', 'body', 'account']);
export type TextField = z.infer<typeof TextField>;

const Pattern = z.string().min(1).max(MAX_PATTERN_CHARS);
/** RFC 5322 field names: printable ASCII without the colon. */
export const HeaderName = z.string().regex(/^[!-9;-~]{1,76}$/, 'a header name is letters, digits and dashes, without a colon');

export const Condition = z.union([
  z.object({ field: TextField, op: TextOp, value: Pattern }),
  z.object({ field: z.literal('header'), name: HeaderName, op: TextOp, value: Pattern }),
  /** Bytes of the stored message (the server's size for a headers-only one). */
  z.object({ field: z.literal('size'), op: z.enum(['>', '<']), bytes: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER) }),
  z.object({ field: z.literal('attachment'), has: z.boolean() }),
  /** Days since the message's Date (when it arrived, without one). */
  z.object({ field: z.literal('age'), op: z.enum(['>', '<']), days: z.number().nonnegative().max(100_000) }),
]);
export type Condition = z.infer<typeof Condition>;

/** A folder as the user names it: its path from the top ("Work/Projects" is ["Work", "Projects"]). */
const FolderPath = z
  .array(z.string().min(1).max(200))
  .min(1)
  .max(20)
  .superRefine((path, ctx) => {
    // The inbox by name is a fine destination; any other path must be one a folder can have.
    if (path.length === 1 && path[0]!.toLowerCase() === 'inbox') return;
    if (path[0]!.toLowerCase() === 'outbox') return void ctx.addIssue({ code: 'custom', message: 'A filter cannot file mail in the Outbox (that would send it).' });
    const problem = folderPathProblem(path);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** One address (no name, no list): where a filter forwards to. */
export const ForwardAddress = z
  .string()
  .trim()
  .min(1, 'type the address to forward to')
  .max(MAX_ADDRESS_LENGTH)
  .refine((a) => isMailAddress(a), 'is not an email address (one address, like bob@example.org)');

export const Action = z.discriminatedUnion('t', [
  z.object({ t: z.literal('move'), folder: FolderPath }),
  z.object({ t: z.literal('copy'), folder: FolderPath }),
  z.object({ t: z.literal('mark-read') }),
  z.object({ t: z.literal('flag') }),
  z.object({ t: z.literal('junk') }),
  /** To Trash (restorable); the server copy follows the account's "deleted here" setting when Trash is emptied. */
  z.object({ t: z.literal('delete') }),
  /**
   * Delete from the server at the next sync, keeping the copy here (for accounts that leave mail
   * on the server; a headers-only message is never deleted there, its rest lives only there).
   */
  z.object({ t: z.literal('delete-on-server') }),
  /**
   * Forward a new message to this address, as an attachment (message/rfc822), from the
   * account's default identity through its Outbox. Runs on arrival, and on demand only when the
   * person asks for it; never for a message that was itself sent automatically (RFC 3834).
   */
  z.object({ t: z.literal('forward'), to: ForwardAddress }),
  /** No further rule runs for this message. */
  z.object({ t: z.literal('stop') }),
]);
export type Action = z.infer<typeof Action>;

/**
 * Line breaks, controls, and characters that change the direction or visibility of text: a
 * filter's name is quoted in native questions (DESIGN §3.8), where "Receipts\n\nNothing is
 * forwarded" or a U+202E (which draws the rest of the line backwards) could make it lie.
 */
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const NAME_UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;

export const RuleName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine((n) => !NAME_UNSAFE.test(n), 'a filter’s name cannot hold line breaks, tabs, control characters or text-direction marks');

/** A filter's name as names are compared: a rule is found by its name in any case (`popbox rules set receipts`). */
export const ruleNameKey = (name: string): string => name.trim().toLowerCase();

/**
 * Whether two filter names are one: no two rules may have names that differ only in case or in
 * spaces around them. The one check of the CLI (cli/rules.ts), rules.json's schema (RuleList,
 * by `ruleNameKey`) and the Filters screen (features/rules/form.ts), so none of them lets through
 * a name another refuses (a name the schema refuses would make the whole rules.json unreadable).
 */
export const sameRuleName = (a: string, b: string): boolean => ruleNameKey(a) === ruleNameKey(b);

export const Rule = z.object({
  name: RuleName,
  enabled: z.boolean().default(true),
  match: z.enum(['all', 'any']),
  conditions: z.array(Condition).min(1).max(MAX_CONDITIONS),
  actions: z.array(Action).min(1).max(MAX_ACTIONS),
  /**
   * The accounts (ids) whose mail the filter runs on, as Thunderbird keeps filters per account:
   * one made in Alice's settings must not file Bob's mail (walkthrough m6). Absent: every
   * account (filters made before scopes existed keep working as they did). An id no account has
   * any more matches nothing.
   */
  accounts: z.array(AccountId).min(1).max(MAX_SCOPE_ACCOUNTS).optional(),
});
export type Rule = z.infer<typeof Rule>;

/** Whether the rule runs on mail of this account (its scope; none: every account). */
export const ruleCoversAccount = (rule: Pick<Rule, 'accounts'>, accountId: string): boolean => rule.accounts === undefined || rule.accounts.includes(accountId);

/**
 * Whose mail a filter runs on, as the Filters screen says it after "Applies to" and `popbox rules
 * list` after "applies to": "every account", "Alice", "Alice and Bob". An account removed since is
 * left out; with none left the filter runs on nothing, and says so.
 */
export function scopeWords(accounts: readonly string[] | null | undefined, nameOf: (id: string) => string | undefined): string {
  if (!accounts) return 'every account';
  const names = accounts.flatMap((id) => nameOf(id) ?? []);
  if (names.length === 0) return 'no account (the one it was made for was removed)';
  return new Intl.ListFormat('en', { type: 'conjunction' }).format(names);
}

export type RuleInput = z.input<typeof Rule>;

export const RuleList = z
  .array(Rule)
  .max(MAX_RULES)
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    for (const r of rules) {
      const key = ruleNameKey(r.name);
      if (seen.has(key)) ctx.addIssue({ code: 'custom', message: `two rules are named “${r.name}”` });
      seen.add(key);
    }
  });

/** <dataDir>/rules.json */
export const RulesFile = z.object({ version: z.literal(1), rules: RuleList });
export type RulesFile = z.infer<typeof RulesFile>;

/** What one run did to one message, for the CLI and the screen. */
export const RuleOutcome = z.object({
  id: z.string(),
  subject: z.string(),
  rules: z.array(z.string()),
  /** Where it is filed now (folder key), when a rule moved it. */
  movedTo: z.string().optional(),
  copiedTo: z.array(z.string()),
  markedRead: z.boolean(),
  flagged: z.boolean(),
  /** Marked for deletion on the server at the next sync. */
  deleteOnServer: z.boolean().optional(),
  /** Forwarded (queued in the Outbox) to these addresses by this run. */
  forwardedTo: z.array(z.string()).optional(),
});
export type RuleOutcome = z.infer<typeof RuleOutcome>;
