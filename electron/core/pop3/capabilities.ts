/** CAPA (RFC 2449) parsed into what the client decides on. Unknown capabilities are kept in `lines`. */
export interface Capabilities {
  lines: string[];
  top: boolean;
  user: boolean;
  uidl: boolean;
  pipelining: boolean;
  respCodes: boolean;
  authRespCode: boolean;
  stls: boolean;
  utf8: boolean;
  /** SASL mechanisms offered, upper case. */
  sasl: string[];
  /** LOGIN-DELAY in seconds (the minimum time between logins). */
  loginDelaySeconds?: number;
  /** EXPIRE: days the server keeps retrieved mail, or 'never'. 0 means it deletes on QUIT. */
  expire?: number | 'never';
  implementation?: string;
}

export function parseCapabilities(lines: string[]): Capabilities {
  const caps: Capabilities = {
    lines,
    top: false,
    user: false,
    uidl: false,
    pipelining: false,
    respCodes: false,
    authRespCode: false,
    stls: false,
    utf8: false,
    sasl: [],
  };
  for (const line of lines) {
    const [name = '', ...args] = line.trim().split(/\s+/);
    switch (name.toUpperCase()) {
      case 'TOP':
        caps.top = true;
        break;
      case 'USER':
        caps.user = true;
        break;
      case 'UIDL':
        caps.uidl = true;
        break;
      case 'PIPELINING':
        caps.pipelining = true;
        break;
      case 'RESP-CODES':
        caps.respCodes = true;
        break;
      case 'AUTH-RESP-CODE':
        caps.authRespCode = true;
        break;
      case 'STLS':
        caps.stls = true;
        break;
      case 'UTF8':
        caps.utf8 = true;
        break;
      case 'SASL':
        caps.sasl = args.map((a) => a.toUpperCase());
        break;
      case 'LOGIN-DELAY': {
        const n = Number(args[0]);
        if (Number.isInteger(n) && n >= 0) caps.loginDelaySeconds = n;
        break;
      }
      case 'EXPIRE': {
        const v = (args[0] ?? '').toUpperCase();
        if (v === 'NEVER') caps.expire = 'never';
        else if (/^\d+$/.test(v)) caps.expire = Number(v);
        break;
      }
      case 'IMPLEMENTATION':
        caps.implementation = args.join(' ');
        break;
    }
  }
  return caps;
}
