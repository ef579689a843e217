/**
 * Whether a rule's conditions hold for one stored message. Header-ish fields come from the
 * journal's summary (no disk read); a named header or the body text is read from the stored
 * file only when a rule asks for it, and once per message however many rules ask.
 */
import fs from 'node:fs/promises';
import * as libmime from '../mime/header-value.js';
import type { MessageRecord } from '../../../shared/changes.js';
import type { Address } from '../../../shared/messages.js';
import { ruleCoversAccount, type Condition, type Rule, type TextOp } from '../../../shared/rules.js';
import { fieldValue, splitHeader } from '../mime/headers.js';
import { readTextParts } from '../mime/index.js';
import { htmlToText } from '../mime/text.js';
import { compileGlob, globMatches, type Glob, type MatchCounter } from './glob.js';

/** A named header is looked for in the first this-many bytes (a header block is smaller). */
const HEADER_PREFIX_BYTES = 256 * 1024;
/** Body text "contains" and "is" look at, at most: the first 1 MB (text and HTML's text together). */
export const BODY_TEXT_CHARS = 1024 * 1024;
/**
 * Body text "matches" looks at, at most: the first 64 KB. A glob costs text × pattern steps, so
 * a 256-character pattern over 1 MB would be ~250M steps (~1 s) per condition per message.
 */
export const BODY_MATCH_CHARS = 64 * 1024;
/**
 * How much of the file body conditions read, at most: the text parts within the first 4 MB
 * (attachments are skipped, never decoded). Text that comes only after a bigger attachment is
 * not looked at: a filter run over thousands of messages must not read each one whole.
 */
export const BODY_READ_BYTES = 4 * 1024 * 1024;
const DAY_MS = 86_400_000;

/** One message as rules see it; the file is read lazily. */
export class RuleSubject {
  private headers: Promise<Map<string, string[]>> | null = null;
  private body: Promise<string> | null = null;

  constructor(
    readonly record: MessageRecord,
    readonly accountName: string,
    private readonly locate: () => Promise<string>,
  ) {}

  header(name: string): Promise<string[]> {
    this.headers ??= this.readHeaders();
    return this.headers.then((h) => h.get(name.toLowerCase()) ?? []);
  }

  /** The body's text, lowercased once for every condition that reads it, at most BODY_TEXT_CHARS. */
  bodyText(): Promise<string> {
    this.body ??= this.readBodyText();
    return this.body;
  }

  private async readHeaders(): Promise<Map<string, string[]>> {
    const handle = await fs.open(await this.locate(), 'r');
    let buf: Buffer;
    try {
      buf = Buffer.alloc(HEADER_PREFIX_BYTES);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      buf = buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    const out = new Map<string, string[]>();
    for (const line of splitHeader(buf).lines) {
      let value = fieldValue(line);
      try {
        value = libmime.decodeWords(value);
      } catch {
        // an undecodable encoded word stays as written
      }
      out.set(line.key, [...(out.get(line.key) ?? []), value]);
    }
    return out;
  }

  private async readBodyText(): Promise<string> {
    const body = await readTextParts(await this.locate(), { maxTextBytes: BODY_TEXT_CHARS, maxReadBytes: BODY_READ_BYTES });
    return [body.text ?? '', body.html !== null ? htmlToText(body.html, BODY_TEXT_CHARS) : ''].join('\n').slice(0, BODY_TEXT_CHARS).toLowerCase();
  }
}

/** Compiled patterns, by pattern text (a rule list is run over many messages). */
const globs = new Map<string, Glob>();
function globOf(pattern: string): Glob {
  let g = globs.get(pattern);
  if (!g) {
    if (globs.size > 10_000) globs.clear();
    g = compileGlob(pattern);
    globs.set(pattern, g);
  }
  return g;
}

/**
 * One text against one condition value; case-insensitive throughout. `lowered`: the text is
 * already lowercase (a body, prepared once per message, not once per condition). `budget`:
 * the work the evaluation may still spend on "matches" (TooCostly past it).
 */
export function textHolds(op: Exclude<TextOp, 'not-contains'>, text: string, value: string, budget?: MatchCounter, lowered = false): boolean {
  const lower = lowered ? text : text.toLowerCase();
  switch (op) {
    case 'contains':
      return lower.includes(value.toLowerCase());
    case 'is':
      return lower.trim() === value.trim().toLowerCase();
    case 'matches':
      return globMatches(globOf(value), lower, budget, true);
  }
}

/**
 * Several texts (each address, each copy of a header): a positive operator holds when any
 * does; "does not contain" holds when none contains the value.
 */
export function anyHolds(op: TextOp, texts: readonly string[], value: string, budget?: MatchCounter, lowered = false): boolean {
  if (op === 'not-contains') return !texts.some((t) => textHolds('contains', t, value, budget, lowered));
  return texts.some((t) => textHolds(op, t, value, budget, lowered));
}

/** An address as a rule reads it: the address alone, the name alone, or both as written in mail. */
function addressTexts(list: readonly Address[]): string[] {
  return list.flatMap((a) => [a.address, a.name, a.name ? `${a.name} <${a.address}>` : a.address].filter((s) => s !== ''));
}

async function conditionHolds(c: Condition, s: RuleSubject, now: number, budget?: MatchCounter): Promise<boolean> {
  const m = s.record.summary;
  // A headers-only message: its body is still on the server, so no condition on the file holds
  // (not even "does not contain"): a rule must not act on text it has not seen (issue 16 review 3).
  const partial = s.record.partial === true;
  switch (c.field) {
    case 'from':
      return anyHolds(c.op, addressTexts(m.from), c.value, budget);
    case 'to-cc':
      return anyHolds(c.op, addressTexts([...m.to, ...m.cc]), c.value, budget);
    case 'recipient': {
      const bcc = partial ? [] : (await s.header('bcc')).concat(await s.header('delivered-to'), await s.header('x-original-to'));
      return anyHolds(c.op, [...addressTexts([...m.to, ...m.cc]), ...bcc], c.value, budget);
    }
    case 'subject':
      return anyHolds(c.op, [m.subject], c.value, budget);
    case 'account':
      return anyHolds(c.op, [s.accountName], c.value, budget);
    case 'body': {
      if (partial) return false;
      const body = await s.bodyText();
      return anyHolds(c.op, [c.op === 'matches' ? body.slice(0, BODY_MATCH_CHARS) : body], c.value, budget, true);
    }
    case 'header':
      if (partial) return false;
      return anyHolds(c.op, await s.header(c.name), c.value, budget);
    case 'size': {
      const size = s.record.partial && s.record.serverSize !== undefined ? s.record.serverSize : m.size;
      return c.op === '>' ? size > c.bytes : size < c.bytes;
    }
    case 'attachment':
      return m.hasAttachments === c.has;
    case 'age': {
      const parsed = m.date ? Date.parse(m.date) : NaN;
      const days = (now - (Number.isFinite(parsed) ? parsed : s.record.receivedAt)) / DAY_MS;
      return c.op === '>' ? days > c.days : days < c.days;
    }
  }
}

/** Conditions that read the stored file (slow) go after those the summary answers (short-circuit). */
function readsFile(c: Condition): boolean {
  return c.field === 'body' || c.field === 'header' || c.field === 'recipient';
}

/**
 * Whether the rule applies to the message (a disabled rule never does, nor one scoped to other
 * accounts: arrival, Run now and the preview all ask here). `budget`: shared by
 * every message of one evaluation call; a "matches" past it throws TooCostly.
 */
export async function ruleMatches(rule: Rule, s: RuleSubject, now: number, budget?: MatchCounter): Promise<boolean> {
  if (!rule.enabled || !ruleCoversAccount(rule, s.record.accountId)) return false;
  const ordered = [...rule.conditions.filter((c) => !readsFile(c)), ...rule.conditions.filter(readsFile)];
  for (const c of ordered) {
    const holds = await conditionHolds(c, s, now, budget);
    if (rule.match === 'any' && holds) return true;
    if (rule.match === 'all' && !holds) return false;
  }
  return rule.match === 'all';
}
