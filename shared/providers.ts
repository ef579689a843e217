/**
 * Well-known mail providers that offer POP3, so the add-account flow can start from an email
 * address. Settings from the providers' own help pages; all prefer implicit TLS on 995.
 */
import type { Security } from './accounts.js';

export interface ServerSettings {
  host: string;
  port: number;
  security: Security;
}

export interface Provider extends ServerSettings {
  name: string;
  domains: readonly string[];
  /** The user name is the whole address (true) or the part before "@" (false). */
  userIsAddress: boolean;
  /** Something the user must do on the provider's side first, shown in the flow. */
  note?: string;
}

export const PROVIDERS: readonly Provider[] = [
  { name: 'Gmail', domains: ['gmail.com', 'googlemail.com'], host: 'pop.gmail.com', port: 995, security: 'tls', userIsAddress: true, note: 'Turn on POP in Gmail’s settings (Forwarding and POP/IMAP) and use an app password.' },
  { name: 'Outlook.com', domains: ['outlook.com', 'hotmail.com', 'live.com', 'msn.com'], host: 'outlook.office365.com', port: 995, security: 'tls', userIsAddress: true, note: 'Turn on POP in Outlook.com’s settings (Mail → Forwarding and IMAP).' },
  { name: 'Yahoo Mail', domains: ['yahoo.com', 'ymail.com', 'rocketmail.com'], host: 'pop.mail.yahoo.com', port: 995, security: 'tls', userIsAddress: true, note: 'Use an app password from Yahoo’s account security page.' },
  { name: 'GMX', domains: ['gmx.net', 'gmx.de', 'gmx.at', 'gmx.ch', 'gmx.com'], host: 'pop.gmx.net', port: 995, security: 'tls', userIsAddress: true, note: 'Allow POP3 access in GMX’s settings first.' },
  { name: 'WEB.DE', domains: ['web.de'], host: 'pop3.web.de', port: 995, security: 'tls', userIsAddress: true, note: 'Allow POP3 access in WEB.DE’s settings first.' },
  { name: 'AOL Mail', domains: ['aol.com'], host: 'pop.aol.com', port: 995, security: 'tls', userIsAddress: true, note: 'Use an app password from AOL’s account security page.' },
  { name: 'Yandex Mail', domains: ['yandex.com', 'yandex.ru'], host: 'pop.yandex.com', port: 995, security: 'tls', userIsAddress: true },
  { name: 'mail.com', domains: ['mail.com', 'email.com'], host: 'pop.mail.com', port: 995, security: 'tls', userIsAddress: true },
  { name: 'Zoho Mail', domains: ['zoho.com', 'zohomail.com'], host: 'pop.zoho.com', port: 995, security: 'tls', userIsAddress: true },
  { name: 'Fastmail', domains: ['fastmail.com', 'fastmail.fm'], host: 'pop.fastmail.com', port: 995, security: 'tls', userIsAddress: true, note: 'Use an app password.' },
  { name: 'Orange', domains: ['orange.fr', 'wanadoo.fr'], host: 'pop.orange.fr', port: 995, security: 'tls', userIsAddress: false },
  { name: 'Libero', domains: ['libero.it'], host: 'popmail.libero.it', port: 995, security: 'tls', userIsAddress: true },
  { name: 'Mail.ru', domains: ['mail.ru', 'inbox.ru', 'list.ru', 'bk.ru'], host: 'pop.mail.ru', port: 995, security: 'tls', userIsAddress: true },
];

export function domainOf(email: string): string | null {
  const at = email.lastIndexOf('@');
  if (at < 1 || at === email.length - 1) return null;
  return email.slice(at + 1).trim().toLowerCase();
}

export function providerFor(email: string): Provider | null {
  const domain = domainOf(email);
  if (!domain) return null;
  return PROVIDERS.find((p) => p.domains.includes(domain)) ?? null;
}

/** Host names worth probing for an unknown domain, most likely first. */
export function candidateHosts(domain: string): string[] {
  return [`pop.${domain}`, `pop3.${domain}`, `mail.${domain}`, domain];
}
