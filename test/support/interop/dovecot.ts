/** Dovecot as one of the interop suite's servers: the private instance from ../dovecot.ts. */
import { execFileSync } from 'node:child_process';
import { dovecotUnavailable, startDovecot } from '../dovecot.js';
import type { InteropServer, InteropServerKind } from './server.js';

const USER = 'interop';
const PASSWORD = 'interop-pw';

function version(): string {
  try {
    return execFileSync('dovecot', ['--version'], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin` } }).split(' ')[0]!.trim();
  } catch {
    return '?';
  }
}

export const dovecot: InteropServerKind = {
  name: 'dovecot',
  unavailable: dovecotUnavailable,
  async start(): Promise<InteropServer> {
    const dc = await startDovecot({ users: [{ name: USER, password: PASSWORD }], mechanisms: ['plain', 'login', 'cram-md5', 'apop'] });
    return {
      label: `Dovecot ${version()}`,
      host: '127.0.0.1',
      plainPort: dc.plainPort,
      tlsPort: dc.tlsPort,
      stls: true,
      caPem: dc.caPem,
      user: USER,
      password: PASSWORD,
      mechanisms: ['USER', 'APOP', 'PLAIN', 'LOGIN', 'CRAM-MD5'],
      uidl: true,
      deliver: async (messages) => {
        await dc.deliver(USER, messages);
      },
      count: async () => (await dc.mailbox(USER)).length,
      clear: () => dc.clear(USER),
      stop: () => dc.stop(),
    };
  },
};
