/** One account as a line of `popbox account list` (shared by the full path and the quick one). */
import type { AccountSettings } from '../../shared/accounts.js';

/** The fields the line shows: what the quick path (quick.ts) checks before it prints one. */
export type DescribedAccount = Pick<AccountSettings, 'name' | 'user' | 'host' | 'port' | 'security' | 'leaveOnServer' | 'deleteAfterDays' | 'deleteWhenDeletedLocally'> & {
  smtp: Pick<NonNullable<AccountSettings['smtp']>, 'auth' | 'user' | 'host' | 'port' | 'security'> | null;
};

export function describeAccount(a: DescribedAccount): string {
  const leave = a.leaveOnServer
    ? `leave on server${a.deleteAfterDays ? `, delete after ${a.deleteAfterDays} d` : ''}${a.deleteWhenDeletedLocally ? ', delete when deleted here' : ''}`
    : 'delete from server after download';
  return `${a.name}\t${a.user}@${a.host}:${a.port}\t${a.security}\t${leave}${a.smtp ? `\t${describeSmtp(a.smtp)}` : ''}`;
}

/** The outgoing server in one cell of `account list`. */
export function describeSmtp(s: NonNullable<DescribedAccount['smtp']>): string {
  const login = s.auth === 'none' ? '' : `${s.user}@`;
  return `sends via ${login}${s.host}:${s.port} ${s.security}${s.auth === 'none' ? ', no login' : ''}`;
}
