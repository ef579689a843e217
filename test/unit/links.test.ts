/**
 * Where a link really goes (shared/links.ts): what the status line shows, when the reading pane
 * asks first, and what reaches the operating system (issue 13 §5).
 */
import { domainToUnicode } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkLink, externalUrl, rebuildMailto, unicodeHost } from '../../shared/links.js';

const check = (href: string, text = '') => {
  const link = checkLink(href, text);
  if (!link) throw new Error(`refused: ${href}`);
  return link;
};

describe('international names', () => {
  it('decodes punycode exactly as Node does', () => {
    for (const name of ['раураl.com', 'münchen.de', '日本語.jp', 'ドメイン名例.jp', 'παράδειγμα.δοκιμή', 'اختبار.مصر', 'аррӏе.com', 'bücher.example']) {
      const ascii = new URL(`http://${name}/`).hostname;
      expect(ascii).toMatch(/xn--/);
      expect(unicodeHost(ascii)).toBe(domainToUnicode(ascii));
    }
    // A label that is not valid punycode stays as written.
    expect(unicodeHost('xn--!!.example')).toBe('xn--!!.example');
  });

  it('shows a name that mixes Latin and Cyrillic as punycode, and asks first', () => {
    const link = check('https://раураl.com/login');
    expect(link.url).toBe('https://xn--l-7sba6dbr.com/login');
    expect(link.display).toBe('https://xn--l-7sba6dbr.com/login');
    expect(link.alsoKnownAs).toBe('раураl.com');
    expect(link.deceptive).toBe(true);
    expect(link.warnings).toEqual(['The address mixes Cyrillic and Latin letters (раураl.com), a trick used to imitate another address. Its real name is xn--l-7sba6dbr.com.']);
  });

  it('asks for a name in Cyrillic letters that all look like Latin ones (аррӏе.com)', () => {
    const link = check('https://xn--80ak6aa92e.com/');
    expect(link.display).toBe('https://xn--80ak6aa92e.com/');
    expect(link.alsoKnownAs).toBe('аррӏе.com');
    expect(link.warnings[0]).toMatch(/Cyrillic letters that look like Latin ones \(аррӏе\.com\)/);
  });

  it('shows an ordinary international name in its own letters, punycode beside it, without asking', () => {
    const link = check('https://münchen.de/rathaus');
    expect(link).toMatchObject({ url: 'https://xn--mnchen-3ya.de/rathaus', display: 'https://münchen.de/rathaus', alsoKnownAs: 'xn--mnchen-3ya.de', deceptive: false, warnings: [] });
    // Japanese mixes Han, Hiragana, Katakana (and Latin) in one name: one language, no warning.
    expect(check('https://ドメイン名例.jp/').warnings).toEqual([]);
  });

  it('keeps a name that came spelled in punycode in punycode', () => {
    const link = check('https://xn--mnchen-3ya.de/');
    expect(link.display).toBe('https://xn--mnchen-3ya.de/');
    expect(link.alsoKnownAs).toBe('münchen.de');
    expect(link.warnings).toEqual([]);
  });

  it('refuses a name with an invisible joiner between Latin letters (the URL parser rejects it)', () => {
    expect(checkLink('https://pay\u200dpal.com/')).toBeNull();
  });
});

describe('addresses and local names', () => {
  it('asks before going to a device on the local network, this computer, or a bare public number', () => {
    expect(check('http://192.168.1.1/admin').warnings).toEqual(['It goes to a device on your own network (192.168.1.1), such as a router or a printer, not to a website.']);
    for (const local of ['http://10.0.0.1/', 'http://172.20.1.1/', 'http://169.254.169.254/latest/meta-data', 'http://[fd00::1]/', 'http://[fe80::1]/', 'http://[::ffff:192.168.0.1]/'])
      expect(check(local).warnings[0], local).toMatch(/device on your own network/);
    // Other spellings of 127.0.0.1 are parsed to it first.
    for (const self of ['http://127.0.0.1:8080/', 'http://2130706433/', 'http://0x7f.1/', 'http://[::1]/']) expect(check(self).warnings[0], self).toMatch(/this computer itself/);
    expect(check('http://93.184.216.34/').warnings[0]).toMatch(/bare number \(93\.184\.216\.34\)/);
    expect(check('http://[2001:db8::1]/').warnings[0]).toMatch(/bare number/);
  });

  it('asks before going to a name only a local network knows', () => {
    for (const local of ['http://router/', 'http://localhost:3000/', 'http://printer.local/', 'http://nas.lan/', 'http://wiki.corp/', 'http://box.home.arpa/'])
      expect(check(local).warnings[0], local).toMatch(/a name on your own network/);
    expect(check('https://example.org/').warnings).toEqual([]);
  });
});

describe('link text that names another site', () => {
  it('asks when the text shows one domain and the link goes to another', () => {
    expect(check('https://evil.example/login', 'https://paypal.com').warnings).toEqual(['The link text shows paypal.com, but the link goes to evil.example.']);
    expect(check('https://paypal.com.evil.example/', 'www.paypal.com').warnings[0]).toMatch(/shows www\.paypal\.com, but the link goes to paypal\.com\.evil\.example/);
    expect(check('https://evil.example/', 'Log in at https://paypal.com/signin today').warnings).toHaveLength(1);
    expect(check('https://evil.example/', 'paypal.com/signin').warnings).toHaveLength(1);
    // The text's name in Unicode, the href's in its real (mixed-script) spelling.
    expect(check('https://раураl.com/', 'paypal.com').warnings[0]).toBe('The link text shows paypal.com, but the link goes to xn--l-7sba6dbr.com.');
  });

  it('does not ask when the text and the link are the same site', () => {
    expect(check('https://www.paypal.com/signin', 'paypal.com').warnings).toEqual([]);
    expect(check('https://paypal.com/', 'https://www.paypal.com/').warnings).toEqual([]);
    expect(check('https://accounts.example.co.uk/', 'www.example.co.uk').warnings).toEqual([]);
    expect(check('https://news.example.org/', 'Read the newsletter').warnings).toEqual([]);
    expect(check('https://example.org/x', 'Click here.').warnings).toEqual([]);
  });

  it('tells apart sites under the same country suffix', () => {
    expect(check('https://evil.co.uk/', 'bank.co.uk').warnings).toHaveLength(1);
  });
});

describe('what leaves the app', () => {
  it('hands over http(s) and mailto only, parsed and serialized again', () => {
    expect(externalUrl('HTTPS://Example.ORG/a b?c#d')).toBe('https://example.org/a%20b?c#d');
    expect(externalUrl('https://раураl.com/')).toBe('https://xn--l-7sba6dbr.com/');
    for (const bad of ['javascript:alert(1)', 'file:///etc/passwd', 'https://user:pw@bank.example/', 'ftp://example.org/', 'data:text/html,x', 'app://popbox/index.html', 'not a url']) expect(externalUrl(bad), bad).toBeNull();
  });

  it('rebuilds mailto links from to, cc, bcc, subject and body only', () => {
    expect(externalUrl('mailto:?attach=/etc/passwd')).toBeNull();
    expect(externalUrl('mailto:ann@example.org?attach=/etc/passwd&attachment=~/.ssh/id_rsa&from=boss@example.org&X-Header=1')).toBe('mailto:ann@example.org');
    expect(externalUrl('mailto:ann@example.org?ATTACH=%2Fetc%2Fpasswd&Subject=Hi')).toBe('mailto:ann@example.org?subject=Hi');
    expect(externalUrl('mailto:ann@example.org,bob@example.org?to=cy@example.org&cc=dee@example.org&bcc=eve@example.org&subject=Lunch%3F&body=Noon%0D%0Aat+the+park')).toBe(
      'mailto:ann@example.org,bob@example.org,cy@example.org?cc=dee@example.org&bcc=eve@example.org&subject=Lunch%3F&body=Noon%0D%0Aat%2Bthe%2Bpark',
    );
  });

  it('drops header injection: no line break outside the body, no address that is not an address', () => {
    const url = externalUrl('mailto:ann@example.org?subject=Hi%0D%0ABcc:%20spy@evil.example%0D%0A&cc=x@example.org%0D%0ABcc:spy@evil.example&body=ok');
    expect(url).toBe('mailto:ann@example.org?subject=Hi%20Bcc%3A%20spy%40evil.example%20&body=ok');
    expect(url).not.toMatch(/%0[AD]/i);
    expect(externalUrl('mailto:ann@example.org%0D%0ABcc:spy@evil.example')).toBeNull();
    expect(externalUrl('mailto:"Ann"<ann@example.org>')).toBeNull();
    expect(rebuildMailto(new URL('mailto:ann@example.org?body=a%00b%0Ac'))).toBe('mailto:ann@example.org?body=ab%0Ac');
  });

  it('shows a mailto link in words and asks when its text shows another address', () => {
    expect(check('mailto:ann@example.org?subject=Hi%20there')).toMatchObject({ kind: 'mail', display: 'mailto:ann@example.org?subject=Hi there', warnings: [] });
    // A right-to-left override in the subject does not reorder what the status line shows.
    expect(check('mailto:ann@example.org?subject=%E2%80%AEfdp.exe').display).toBe('mailto:ann@example.org?subject=fdp.exe');
    expect(check('mailto:spy@evil.example', 'support@paypal.com').warnings).toEqual(['The link text shows support@paypal.com, but the message would go to spy@evil.example.']);
    expect(check('mailto:ann@раураl.com').warnings[0]).toMatch(/^ann@раураl\.com: The address mixes/);
  });
});
