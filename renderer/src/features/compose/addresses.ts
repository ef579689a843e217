/**
 * Recipients as the compose screen holds them: one entry per address, as typed or picked
 * ("Ann Example <ann@example.org>" or "ann@example.org"). Main checks them again before sending;
 * this is only so a mistyped address shows as one while the user is still writing.
 */
import { isMailAddress } from '../../../../shared/address.js';
import type { AddressSuggestion } from '../../../../shared/compose.js';

/**
 * Text with several addresses (typed or pasted: "a@x.org, Bob <b@y.org>; c@z.org" or one a line)
 * split into entries. Commas and semicolons inside quotes or angle brackets do not split.
 */
export function splitAddresses(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let angle = false;
  for (const ch of text) {
    if (ch === '"' && !angle) quoted = !quoted;
    else if (ch === '<' && !quoted) angle = true;
    else if (ch === '>' && !quoted) angle = false;
    if (!quoted && !angle && (ch === ',' || ch === ';' || ch === '\n' || ch === '\r' || ch === '\t')) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  // A bare address list separated only by spaces ("a@x.org b@y.org") is several addresses too.
  return out.flatMap((e) => (/^[^\s<>"]+@[^\s<>"]+(\s+[^\s<>"]+@[^\s<>"]+)+$/.test(e) ? e.split(/\s+/) : [e]));
}

/** The address part of an entry: inside <…> when there is one, else the whole entry. */
export function addressOf(entry: string): string {
  const m = /<([^<>]*)>\s*$/.exec(entry);
  return (m ? m[1]! : entry).trim().replace(/^mailto:/i, '');
}

/** The name part of an entry ("Ann Example"), or '' when it has none. */
export function nameOf(entry: string): string {
  const m = /^(.*?)<[^<>]*>\s*$/.exec(entry);
  return m ? m[1]!.trim().replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1') : '';
}

/**
 * The rule main checks before sending (shared/address.ts: letters of any script on both sides of
 * the "@", jörg@bücher.example), plus a dot in the domain: an address typed without one
 * ("ann@example") is nearly always cut short, so it is marked while the user can still see it.
 */
export function isValidEntry(entry: string): boolean {
  const address = addressOf(entry);
  return isMailAddress(address) && address.slice(address.lastIndexOf('@') + 1).includes('.');
}

/** A suggestion as an entry: the name quoted when it holds characters that would split it. */
export function entryOf(s: AddressSuggestion): string {
  if (!s.name || s.name === s.address) return s.address;
  const name = /[",;<>@()[\]\\:.]/.test(s.name) ? `"${s.name.replace(/(["\\])/g, '\\$1')}"` : s.name;
  return `${name} <${s.address}>`;
}

/** What a chip shows: the name when there is one (the full entry is its tooltip). */
export function chipLabel(entry: string): string {
  return nameOf(entry) || addressOf(entry);
}

/** Adds entries, leaving out ones already there (same address, any case). */
export function mergeEntries(list: readonly string[], more: readonly string[]): string[] {
  const seen = new Set(list.map((e) => addressOf(e).toLowerCase()));
  const out = [...list];
  for (const e of more) {
    const key = addressOf(e).toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}
