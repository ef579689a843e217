/**
 * Well-known mail providers that offer POP3, so the add-account flow can start from an email
 * address. Settings from the providers' own help pages; all prefer implicit TLS on 995. The
 * outgoing server is implicit TLS on 465 where the provider offers it, else STARTTLS on 587;
 * it logs in with the same user name as POP3.
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
  /** The outgoing (SMTP) server. */
  smtp: ServerSettings;
}

const tls465 = (host: string): ServerSettings => ({ host, port: 465, security: 'tls' });
const starttls587 = (host: string): ServerSettings => ({ host, port: 587, security: 'starttls' });

export const PROVIDERS: readonly Provider[] = [
  { name: 'Gmail', domains: ['gmail.com', 'googlemail.com'], host: 'pop.gmail.com', port: 995, security: 'tls', userIsAddress: true, note: 'Turn on POP in Gmail’s settings (Forwarding and POP/IMAP) and use an app password.', smtp: tls465('smtp.gmail.com') },
  { name: 'Outlook.com', domains: ['outlook.com', 'hotmail.com', 'live.com', 'msn.com'], host: 'outlook.office365.com', port: 995, security: 'tls', userIsAddress: true, note: 'Turn on POP in Outlook.com’s settings (Mail → Forwarding and IMAP).', smtp: starttls587('smtp-mail.outlook.com') },
  { name: 'Yahoo Mail', domains: ['yahoo.com', 'ymail.com', 'rocketmail.com'], host: 'pop.mail.yahoo.com', port: 995, security: 'tls', userIsAddress: true, note: 'Use an app password from Yahoo’s account security page.', smtp: tls465('smtp.mail.yahoo.com') },
  { name: 'GMX', domains: ['gmx.net', 'gmx.de', 'gmx.at', 'gmx.ch', 'gmx.com'], host: 'pop.gmx.net', port: 995, security: 'tls', userIsAddress: true, note: 'Allow POP3 access in GMX’s settings first.', smtp: tls465('mail.gmx.net') },
  { name: 'WEB.DE', domains: ['web.de'], host: 'pop3.web.de', port: 995, security: 'tls', userIsAddress: true, note: 'Allow POP3 access in WEB.DE’s settings first.', smtp: starttls587('smtp.web.de') },
  { name: 'AOL Mail', domains: ['aol.com'], host: 'pop.aol.com', port: 995, security: 'tls', userIsAddress: true, note: 'Use an app password from AOL’s account security page.', smtp: tls465('smtp.aol.com') },
  { name: 'Yandex Mail', domains: ['yandex.com', 'yandex.ru'], host: 'pop.yandex.com', port: 995, security: 'tls', userIsAddress: true, smtp: tls465('smtp.yandex.com') },
  { name: 'mail.com', domains: ['mail.com', 'email.com'], host: 'pop.mail.com', port: 995, security: 'tls', userIsAddress: true, smtp: starttls587('smtp.mail.com') },
  { name: 'Zoho Mail', domains: ['zoho.com', 'zohomail.com'], host: 'pop.zoho.com', port: 995, security: 'tls', userIsAddress: true, smtp: tls465('smtp.zoho.com') },
  { name: 'Fastmail', domains: ['fastmail.com', 'fastmail.fm'], host: 'pop.fastmail.com', port: 995, security: 'tls', userIsAddress: true, note: 'Use an app password.', smtp: tls465('smtp.fastmail.com') },
  { name: 'Orange', domains: ['orange.fr', 'wanadoo.fr'], host: 'pop.orange.fr', port: 995, security: 'tls', userIsAddress: false, smtp: tls465('smtp.orange.fr') },
  { name: 'Libero', domains: ['libero.it'], host: 'popmail.libero.it', port: 995, security: 'tls', userIsAddress: true, smtp: tls465('smtp.libero.it') },
  { name: 'Mail.ru', domains: ['mail.ru', 'inbox.ru', 'list.ru', 'bk.ru'], host: 'pop.mail.ru', port: 995, security: 'tls', userIsAddress: true, smtp: tls465('smtp.mail.ru') },
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

/** The same for its outgoing server. */
export function candidateSmtpHosts(domain: string): string[] {
  return [`smtp.${domain}`, `mail.${domain}`];
}
