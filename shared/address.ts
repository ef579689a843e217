/**
 * One rule for what an email address looks like, used by main before a message is built and by
 * the compose screen to mark a mistyped address while the user is still writing.
 *
 * The local part (before the last "@") may hold letters of any script (RFC 6531/6532:
 * jörg@example.org, 用户@例子.广告): such an address can be sent only through a server that offers
 * SMTPUTF8, which the sender checks when it connects; here it is simply an address. The domain
 * may be internationalized too (bücher.example); main turns it into its ASCII form (IDNA) where
 * that is what goes out, and refuses a domain IDNA refuses.
 */
import { lazy } from './lazy.js';

// RFC 5322 atext, '.' included (as HTML's email check allows it anywhere in the local part), or
// any character beyond ASCII that is not a space, a control, an unassigned or private code point,
// or a bidi override (which could make the address read differently from what it is).
const LOCAL_CHAR = String.raw`(?:[A-Za-z0-9.!#$%&'*+/=?^_\x60{|}~-]|(?![\s\p{Cc}\p{Cs}\p{Co}\p{Cn}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069])[^\x00-\x7f])`;

// A domain label: letters and digits of any script (marks too, as in Indic scripts) and inner hyphens.
const LABEL_CHAR = String.raw`[A-Za-z0-9\p{L}\p{M}\p{N}]`;

// Made at the first address checked, not when the module loads: V8 parses a pattern whole when it
// is made, and these Unicode classes (thousands of ranges, through ICU) cost ~9 M instructions,
// ~3.5 % of the CLI's empty check (issue 18 P0), which loads this module and checks no address.
const addressPatterns = lazy(() => ({
  local: new RegExp(`^${LOCAL_CHAR}+$`, 'u'),
  label: new RegExp(`^${LABEL_CHAR}(?:(?:${LABEL_CHAR}|-)*${LABEL_CHAR})?$`, 'u'),
}));

/** The longest address SMTP carries in a path (RFC 5321 §4.5.3.1.3, less the angle brackets). */
export const MAX_ADDRESS_LENGTH = 254;

/** The local part holds characters beyond ASCII: it can go only through a server offering SMTPUTF8. */
export function hasInternationalLocalPart(address: string): boolean {
  // eslint-disable-next-line no-control-regex -- ASCII or not is the question
  return /[^\x00-\x7f]/.test(address.slice(0, Math.max(0, address.lastIndexOf('@'))));
}

/** "local@domain" (no name, no angle brackets) that a message can be sent to. */
export function isMailAddress(address: string): boolean {
  if (address.length > MAX_ADDRESS_LENGTH) return false;
  const at = address.lastIndexOf('@');
  if (at < 1) return false;
  const { local, label } = addressPatterns();
  if (!local.test(address.slice(0, at))) return false;
  const labels = address.slice(at + 1).split('.');
  return labels.every((l) => l.length <= 63 && label.test(l));
}
