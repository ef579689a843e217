/**
 * Text that goes into a native question (DESIGN §3.8). The question is the one part of a
 * dangerous flow the page cannot draw, so nothing the page or a sender wrote may change how it
 * reads: no line breaks (a fake verdict on a line of its own), no controls, no bidi overrides or
 * direction marks (U+202E draws the rest of the line backwards, address included), no wall of
 * text taller than the screen. Every string a question quotes passes through oneLine; lists are
 * cut to a few lines and "and N more".
 */
import { domainToASCII } from 'node:url';

// Line ends and tabs become spaces; other controls (C0, DEL, C1) and every format character go:
// bidi embeddings/overrides/isolates (U+202A–E, U+2066–9), marks (U+200E/F, U+061C), zero widths.
const BREAKS = /[\t\n\v\f\r\x85\u2028\u2029]+/g;
const INVISIBLE = /[\p{Cc}\p{Cf}]+/gu;

/** `text` as one line of at most `max` characters (code points, an ellipsis included), nothing that redraws it. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(BREAKS, ' ').replace(INVISIBLE, '').replace(/\s+/g, ' ').trim();
  const points = Array.from(flat);
  if (points.length <= max) return flat;
  return `${points.slice(0, Math.max(0, max - 1)).join('').trimEnd()}…`;
}

/** One line per item ("• …"), at most `max` of them, then "and N more <noun>". */
export function bulletList(items: readonly string[], max: number, more: (n: number) => string): string {
  const lines = items.slice(0, max).map((i) => `• ${i}`);
  if (items.length > max) lines.push(more(items.length - max));
  return lines.join('\n');
}

/**
 * An address as the network sees it: a domain beyond ASCII in its IDNA form (xn--…), so a
 * look-alike (pаypal.com with a Cyrillic "а") cannot pass for the real one, with the way it was
 * written beside it. null when IDNA refuses the domain (no mail could go there).
 */
export function addressAsSent(address: string): string | null {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  // eslint-disable-next-line no-control-regex -- ASCII or not is the question
  const plain = (s: string) => /^[\x00-\x7f]*$/.test(s);
  if (plain(address)) return address;
  const ascii = plain(domain) ? domain : domainToASCII(domain);
  if (!ascii) return null;
  const sent = `${local}@${ascii}`;
  const written = oneLine(address, 300);
  return sent === written
    ? `${sent} (letters beyond a–z before the @: check it is the address you mean)`
    : `${sent} (written “${written}”: it has letters beyond a–z that can imitate another address)`;
}
