/**
 * Subjects of replies and forwards: one "Re: " or "Fwd: ", however many prefixes the original
 * collected on its way through other mail programs ("Re: RE: Aw: …", "Re[2]:", "SV:", "WG:").
 */

// Reply prefixes other mail programs write: English, German (Aw, Antw), Nordic (SV, VS),
// Dutch (Antw), Polish (Odp), Italian (R, Rif), Turkish (Ynt), Icelandic (Ats), Spanish (Res, Ref).
const REPLY = /^\s*(?:re|aw|sv|vs|antw|odp|ref|rif|ynt|ats|res|r)\s*(?:\[\d{1,4}\]|\(\d{1,4}\))?\s*[:：]\s*/i;
// Forward prefixes: English (Fwd, Fw), German (WG), French (TR), Spanish/Portuguese (RV, ENC), Dutch (Doorst).
const FORWARD = /^\s*(?:fwd|fw|wg|tr|rv|enc|doorst)\s*(?:\[\d{1,4}\]|\(\d{1,4}\))?\s*[:：]\s*/i;
// A mailing list's tag in front ("[team] Re: …") stays where it was.
const LIST_TAG = /^\s*\[[^\][]{1,40}\]\s*/;

function strip(subject: string, prefix: RegExp): string {
  let s = subject;
  // Bounded: each pass removes at least one character.
  for (let m = prefix.exec(s); m; m = prefix.exec(s)) s = s.slice(m[0].length);
  return s.trim();
}

function withoutListTag(subject: string): { tag: string; rest: string } {
  const m = LIST_TAG.exec(subject);
  return m && REPLY.test(subject.slice(m[0].length)) ? { tag: m[0].trim(), rest: subject.slice(m[0].length) } : { tag: '', rest: subject };
}

/** "Re: " once in front of the original subject without its own reply prefixes. */
export function replySubject(original: string): string {
  const { tag, rest } = withoutListTag(original.replace(/\s+/g, ' '));
  const s = strip(rest, REPLY);
  return `Re: ${tag ? `${tag} ` : ''}${s}`.trimEnd();
}

/** "Fwd: " once in front of the original subject without its own forward prefixes. */
export function forwardSubject(original: string): string {
  const s = strip(original.replace(/\s+/g, ' '), FORWARD);
  return `Fwd: ${s}`.trimEnd();
}

// Any leading list tag, for comparing subjects (threads): "[SAtalk] Re: x" and "Re: [SAtalk] x" match.
const ANY_LIST_TAG = /^\s*\[[^\][]{1,40}\]\s*/;

/**
 * The subject with every reply/forward prefix and list tag taken off the front, however they
 * are nested ("[sa] Re: Fwd: [sa] RE: x" → "x"): what the threading fallback compares.
 */
export function baseSubject(subject: string): string {
  let s = subject.replace(/\s+/g, ' ');
  // Bounded: each pass that does not end the loop removes at least one character.
  for (;;) {
    const before = s;
    s = strip(strip(s.replace(ANY_LIST_TAG, ''), REPLY), FORWARD);
    if (s === before) return s.trim();
  }
}

/** Whether the subject says it answers or passes on another message ("Re:", "Fwd:", after a list tag too). */
export function saysReplyOrForward(subject: string): boolean {
  const s = subject.replace(ANY_LIST_TAG, '');
  return REPLY.test(s) || FORWARD.test(s);
}
