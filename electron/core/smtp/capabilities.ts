/**
 * What an SMTP server offers, from its EHLO keyword lines (RFC 5321 §4.1.1.1): what compose
 * needs to know before sending (the size limit, SMTPUTF8 for non-ASCII addresses, 8BITMIME) and
 * what account setup shows (the AUTH mechanisms, STARTTLS).
 */
export interface SmtpCapabilities {
  /**
   * SIZE (RFC 1870): the largest message in bytes; 0 when SIZE is offered without a fixed limit;
   * null when SIZE is not offered at all.
   */
  sizeLimit: number | null;
  smtpUtf8: boolean;
  eightBitMime: boolean;
  pipelining: boolean;
  chunking: boolean;
  dsn: boolean;
  enhancedStatusCodes: boolean;
  /** SASL mechanisms offered, upper case, in the server's order ("PLAIN", "LOGIN", …). */
  authMechanisms: string[];
  /** STARTTLS offered on a plain connection (after the upgrade, servers stop listing it). */
  startTls: boolean;
}

/** The keyword lines without the reply code, as nodemailer keeps them ("SIZE 204800", "AUTH PLAIN LOGIN"). */
export function parseEhlo(lines: readonly string[]): SmtpCapabilities {
  const caps: SmtpCapabilities = {
    sizeLimit: null,
    smtpUtf8: false,
    eightBitMime: false,
    pipelining: false,
    chunking: false,
    dsn: false,
    enhancedStatusCodes: false,
    authMechanisms: [],
    startTls: false,
  };
  const mechanisms = new Set<string>();
  for (const raw of lines) {
    const [keyword = '', ...params] = raw.replace(/^\d{3}[ -]/, '').trim().split(/[\s=]+/);
    switch (keyword.toUpperCase()) {
      case 'SIZE': {
        const n = Number(params[0] ?? 0);
        caps.sizeLimit = Number.isSafeInteger(n) && n >= 0 ? n : 0;
        break;
      }
      case 'SMTPUTF8':
        caps.smtpUtf8 = true;
        break;
      case '8BITMIME':
        caps.eightBitMime = true;
        break;
      case 'PIPELINING':
        caps.pipelining = true;
        break;
      case 'CHUNKING':
        caps.chunking = true;
        break;
      case 'DSN':
        caps.dsn = true;
        break;
      case 'ENHANCEDSTATUSCODES':
        caps.enhancedStatusCodes = true;
        break;
      case 'STARTTLS':
        caps.startTls = true;
        break;
      case 'AUTH':
        for (const m of params) if (m) mechanisms.add(m.toUpperCase());
        break;
    }
  }
  caps.authMechanisms = [...mechanisms];
  return caps;
}
