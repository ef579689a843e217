/**
 * The On the server view's one door to main: the listing, the two actions and the change hint,
 * as the contract offers them. The screen takes this interface (not the whole API) so its tests
 * can hand it a mailbox of their own.
 */
import type { ServerDeleteResult, ServerDownloadResult, ServerListing } from '../../../../shared/server-view.js';
import { call, type PopboxApi } from '../../api/client.js';

export interface ServerSource {
  /** `refresh`: connect now (UIDL, LIST, STAT, TOP); else what main has cached. */
  listing(accountId: string, refresh: boolean): Promise<ServerListing>;
  /** Main asks the person natively first; their "no" is an ApiError with code `cancelled`. */
  remove(accountId: string, uidls: string[]): Promise<ServerDeleteResult>;
  download(accountId: string, uidls: string[], headersOnly: boolean): Promise<ServerDownloadResult>;
  /** Something about this account's server copies changed (or a check for mail ended); returns the unsubscribe function. */
  onChanged(listener: (accountId: string) => void): () => void;
}

export function contractSource(api: PopboxApi): ServerSource {
  return {
    listing: (accountId, refresh) => call(api, 'serverListing', { accountId, refresh }),
    remove: (accountId, uidls) => call(api, 'deleteOnServer', { accountId, uidls }),
    download: (accountId, uidls, headersOnly) => call(api, 'downloadFromServer', { accountId, uidls, headersOnly }),
    onChanged: (listener) => {
      const offs = [
        api.on('serverChanged', ({ accountId }) => listener(accountId)),
        // A check for mail that ended changed what is downloaded here (and main's listing saw the server).
        api.on('accountStatus', ({ accountId, state }) => state !== 'syncing' && state !== 'queued' && listener(accountId)),
      ];
      return () => offs.forEach((off) => off());
    },
  };
}
