/**
 * Where a link in a message really goes, in words a person can check before it leaves the app
 * (DESIGN §3.7). Pure: the renderer uses it for the hover status and the confirmation, main for
 * what reaches the operating system. `new URL()` does the parsing (it gives punycode hosts in
 * every runtime); nothing here pattern-matches a URL to decide whether it is safe.
 */

export interface CheckedLink {
  /** What leaves the app: parsed and serialized again; a mailto rebuilt from its safe fields. */
  url: string;
  kind: 'web' | 'mail';
  /** The destination as the status line and the confirmation show it (never the link text). */
  display: string;
  /** The other spelling of an international host (punycode or Unicode), when there is one. */
  alsoKnownAs: string | null;
  /** The host's Unicode spelling imitates another name (mixed scripts, Latin lookalikes). */
  deceptive: boolean;
  /** Why this link deserves a second look, one plain sentence each; empty when it does not. */
  warnings: string[];
}

/** The URL to hand to the operating system, or null when it may not leave (http(s) and mailto only). */
export function externalUrl(raw: string): string | null {
  return checkLink(raw)?.url ?? null;
}

/** What a link goes to and whether to ask first. `text` is what the message shows for it. */
export function checkLink(href: string, text = ''): CheckedLink | null {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  if (url.protocol === 'mailto:') return checkMailto(url, text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  // No credentials smuggled in the authority ("https://bank.example@evil.example/").
  if (url.hostname === '' || url.username !== '' || url.password !== '') return null;

  const host = url.hostname;
  const unicode = unicodeHost(host);
  const odd = hostWarnings(host, unicode);
  // An international name in one script reads as itself; one that mixes scripts or came
  // already spelled in punycode is shown as punycode, the name the network actually uses.
  const asPunycode = odd.length > 0 || /(^|[./@])xn--/i.test(href);
  const shownHost = asPunycode ? host : unicode;
  const port = url.port ? `:${url.port}` : '';
  const warnings = [...odd];
  const named = textHost(text);
  if (named && !sameSite(named, host)) {
    warnings.unshift(`The link text shows ${unicodeHost(named)}, but the link goes to ${shownHost}.`);
  }
  return {
    url: url.href,
    kind: 'web',
    display: `${url.protocol}//${shownHost}${port}${url.pathname}${url.search}${url.hash}`,
    alsoKnownAs: unicode === host ? null : asPunycode ? unicode : host,
    deceptive: odd.length > 0 && unicode !== host,
    warnings,
  };
}

// ---- mailto ----

const ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/u;

function decode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** The addresses of a to/cc/bcc value; anything that is not a plain address is dropped. */
function addressList(value: string): string[] {
  return value
    .split(',')
    .map((a) => a.trim())
    .filter((a) => ADDRESS.test(a));
}

/**
 * A mailto link rebuilt from to, cc, bcc, subject and body only (RFC 6068). Everything else
 * goes: attach=/attachment= (mail programs that honour it attach a local file), from=,
 * in-reply-to= and any other header; line breaks only in the body, so no field can carry a
 * header of its own.
 */
export function rebuildMailto(url: URL): string | null {
  const to = addressList(decode(url.pathname) ?? '');
  const fields: Record<'cc' | 'bcc' | 'subject' | 'body', string[]> = { cc: [], bcc: [], subject: [], body: [] };
  // Parsed by hand: URLSearchParams would turn '+' into a space, which RFC 6068 does not.
  for (const pair of url.search.slice(1).split('&')) {
    const eq = pair.indexOf('=');
    const name = decode(eq < 0 ? pair : pair.slice(0, eq))?.toLowerCase();
    const value = decode(eq < 0 ? '' : pair.slice(eq + 1));
    if (!name || value === null) continue;
    if (name === 'to') to.push(...addressList(value));
    else if (name === 'cc' || name === 'bcc') fields[name].push(...addressList(value));
    else if (name === 'subject') fields.subject.push(value.replace(/[\r\n]+/g, ' ').replace(/\p{Cc}/gu, ''));
    else if (name === 'body') fields.body.push(value.replace(/[^\P{Cc}\r\n\t]/gu, ''));
  }
  const enc = (s: string) => encodeURIComponent(s).replace(/%40/g, '@');
  const query = [
    fields.cc.length ? `cc=${fields.cc.map(enc).join(',')}` : '',
    fields.bcc.length ? `bcc=${fields.bcc.map(enc).join(',')}` : '',
    fields.subject.length ? `subject=${encodeURIComponent(fields.subject.join(' '))}` : '',
    fields.body.length ? `body=${encodeURIComponent(fields.body.join('\r\n'))}` : '',
  ].filter(Boolean);
  // Nothing left to write to or about: there is nothing to open.
  if (to.length === 0 && query.length === 0) return null;
  return `mailto:${to.map(enc).join(',')}${query.length ? `?${query.join('&')}` : ''}`;
}

// Shown decoded for people, so a subject's right-to-left override must not reorder the line.
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

function checkMailto(url: URL, text: string): CheckedLink | null {
  const rebuilt = rebuildMailto(url);
  if (!rebuilt) return null;
  const parsed = new URL(rebuilt);
  const to = (decode(parsed.pathname) ?? '').split(',').filter(Boolean);
  const everyone = [...to];
  for (const pair of parsed.search.slice(1).split('&')) {
    const [name, value = ''] = pair.split('=');
    if (name === 'cc' || name === 'bcc') everyone.push(...(decode(value) ?? '').split(','));
  }
  const warnings: string[] = [];
  const shown = /[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]+/u.exec(text)?.[0];
  if (shown && !everyone.some((a) => a.toLowerCase() === shown.toLowerCase())) {
    warnings.push(`The link text shows ${shown}, but the message would go to ${everyone.join(', ') || 'nobody'}.`);
  }
  for (const address of everyone) {
    const domain = address.slice(address.lastIndexOf('@') + 1);
    let ascii: string;
    try {
      ascii = new URL(`http://${domain}`).hostname;
    } catch {
      continue;
    }
    warnings.push(...hostWarnings(ascii, unicodeHost(ascii)).map((w) => `${address}: ${w}`));
  }
  return { url: rebuilt, kind: 'mail', display: (decode(rebuilt) ?? rebuilt).replace(/[\r\n]+/g, ' ').replace(BIDI_CONTROLS, ''), alsoKnownAs: null, deceptive: false, warnings };
}

// ---- hosts ----

/** Plain-words reasons a host is not an ordinary public name. */
function hostWarnings(host: string, unicode: string): string[] {
  const ip = ipKind(host);
  if (ip === 'loopback') return [`It goes to this computer itself (${host}), not to a website.`];
  if (ip === 'private') return [`It goes to a device on your own network (${host}), such as a router or a printer, not to a website.`];
  if (ip === 'public') return [`It uses a bare number (${host}) instead of a name; real companies' links almost never do.`];
  if (isLocalName(host)) return [`It goes to a name on your own network (${host}), not to a website.`];
  const warnings: string[] = [];
  for (const label of unicode.split('.')) {
    const scripts = scriptsOf(label);
    if (scripts.length > 1) {
      warnings.push(`The address mixes ${scripts.join(' and ')} letters (${unicode}), a trick used to imitate another address. Its real name is ${host}.`);
    } else if (scripts.length === 1 && scripts[0] !== 'Latin' && isLatinLookalike(label)) {
      warnings.push(`The address is written in ${scripts[0]} letters that look like Latin ones (${unicode}), a trick used to imitate another address. Its real name is ${host}.`);
    }
  }
  return warnings;
}

type IpKind = 'loopback' | 'private' | 'public' | null;

/** Hosts as `new URL()` leaves them: IPv4 always dotted decimal, IPv6 in brackets. */
function ipKind(host: string): IpKind {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (v4) return ipv4Kind(v4.slice(1).map(Number));
  if (!host.startsWith('[')) return null;
  const v6 = host.slice(1, -1).toLowerCase();
  if (v6 === '::1') return 'loopback';
  if (v6 === '::') return 'private';
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return ipv4Kind([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  }
  if (/^f[cd]/.test(v6) || /^fe[89ab]/.test(v6)) return 'private';
  return 'public';
}

function ipv4Kind([a, b]: number[]): IpKind {
  if (a === 127) return 'loopback';
  if (a === 10 || a === 0 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b! >= 64 && b! <= 127)) return 'private';
  return 'public';
}

const LOCAL_SUFFIXES = ['localhost', 'local', 'localdomain', 'lan', 'home', 'internal', 'intranet', 'corp', 'private', 'home.arpa'];

/** A name only a local network resolves: one label ("router") or a suffix kept for such use. */
function isLocalName(host: string): boolean {
  const name = host.replace(/\.$/, '');
  return !name.includes('.') || LOCAL_SUFFIXES.some((s) => name === s || name.endsWith(`.${s}`));
}

const SCRIPTS = ['Latin', 'Cyrillic', 'Greek', 'Armenian', 'Georgian', 'Hebrew', 'Arabic', 'Devanagari', 'Bengali', 'Thai', 'Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo', 'Cherokee', 'Ethiopic'] as const;
const SCRIPT_RE = new Map(SCRIPTS.map((s) => [s, new RegExp(`\\p{Script=${s}}`, 'u')]));
const CJK = new Set(['Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo']);

/** The scripts of a label's letters; Japanese, Chinese and Korean mixes (with Latin) count as one, as in browsers. */
function scriptsOf(label: string): string[] {
  const found = new Set<string>();
  for (const ch of label) {
    if (!/\p{L}/u.test(ch)) continue;
    found.add(SCRIPTS.find((s) => SCRIPT_RE.get(s)!.test(ch)) ?? 'other');
  }
  const list = [...found];
  const cjk = list.filter((s) => CJK.has(s));
  if (cjk.length > 0) {
    const rest = list.filter((s) => !CJK.has(s) && s !== 'Latin');
    const oneLanguage = cjk.every((s) => ['Han', 'Hiragana', 'Katakana'].includes(s)) || cjk.every((s) => ['Han', 'Bopomofo'].includes(s)) || cjk.every((s) => ['Han', 'Hangul'].includes(s));
    return oneLanguage ? [...rest, cjk.join('/')] : [...rest, ...cjk];
  }
  return list;
}

// Cyrillic and Greek letters that pass for Latin ones in most fonts (Chromium's whole-script confusables).
const LATIN_LOOKALIKES = new Set('аысѕԁеђһіјӏорԛԝхуъьҽпгѵѡνοαρτυικχωΑΒΕΗΙΚΜΝΟΡΤΥΧΖ');

function isLatinLookalike(label: string): boolean {
  const letters = [...label].filter((ch) => /\p{L}/u.test(ch));
  return letters.length > 0 && letters.every((ch) => LATIN_LOOKALIKES.has(ch));
}

/** The domain a link's text names, as an ASCII host, if it names one. */
function textHost(text: string): string | null {
  const t = text.trim();
  // A URL with a scheme anywhere in the text, a www. name anywhere, or a text that is only a name.
  const m = /\bhttps?:\/\/[^\s<>"']+/iu.exec(t) ?? /(?:^|\s)(www\.[^\s<>"'/]+)/iu.exec(t) ?? /^([\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,})(?:[/:?#]\S*)?$/u.exec(t);
  if (!m) return null;
  const candidate = (m[1] ?? m[0]).replace(/[.,;:!?)\]]+$/u, '');
  try {
    const host = new URL(/^https?:/i.test(candidate) ? candidate : `http://${candidate}`).hostname;
    return host.includes('.') ? host : null;
  } catch {
    return null;
  }
}

const SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'gov', 'edu', 'ac', 'ne', 'or', 'go', 'gob', 'mil', 'nic', 'ltd', 'plc']);

/** The name a company registers (example.co.uk, example.com), near enough without the public-suffix list. */
function siteOf(host: string): string {
  const labels = host.replace(/\.$/, '').split('.');
  const keep = labels.length >= 3 && labels.at(-1)!.length === 2 && SECOND_LEVEL.has(labels.at(-2)!) ? 3 : 2;
  return labels.slice(-keep).join('.');
}

function sameSite(a: string, b: string): boolean {
  return a === b || (ipKind(a) === null && ipKind(b) === null && siteOf(a) === siteOf(b));
}

// ---- punycode (RFC 3492), decoding only: new URL() already encodes ----

const BASE = 36;
const TMIN = 1;
const TMAX = 26;

function adapt(delta: number, points: number, first: boolean): number {
  let d = first ? Math.floor(delta / 700) : delta >> 1;
  d += Math.floor(d / points);
  let k = 0;
  while (d > ((BASE - TMIN) * TMAX) >> 1) {
    d = Math.floor(d / (BASE - TMIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - TMIN + 1) * d) / (d + 38));
}

function decodeLabel(input: string): string | null {
  const out: number[] = [];
  const basic = Math.max(0, input.lastIndexOf('-'));
  for (let j = 0; j < basic; j++) out.push(input.charCodeAt(j));
  let n = 128;
  let bias = 72;
  let i = 0;
  for (let at = basic > 0 ? basic + 1 : 0; at < input.length; ) {
    const old = i;
    for (let w = 1, k = BASE; ; k += BASE) {
      if (at >= input.length) return null;
      const c = input.charCodeAt(at++);
      const digit = c >= 48 && c <= 57 ? c - 22 : c >= 97 && c <= 122 ? c - 97 : c >= 65 && c <= 90 ? c - 65 : BASE;
      if (digit >= BASE) return null;
      i += digit * w;
      if (i > 0x7fffffff) return null;
      const t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
      if (digit < t) break;
      w *= BASE - t;
    }
    const len = out.length + 1;
    bias = adapt(i - old, len, old === 0);
    n += Math.floor(i / len);
    i %= len;
    if (n > 0x10ffff) return null;
    out.splice(i++, 0, n);
  }
  return String.fromCodePoint(...out);
}

/** A host with its xn-- labels decoded (labels that do not decode stay as they are). */
export function unicodeHost(host: string): string {
  return host
    .split('.')
    .map((label) => (/^xn--/i.test(label) ? (decodeLabel(label.slice(4).toLowerCase()) ?? label) : label))
    .join('.');
}
