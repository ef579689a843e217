/**
 * The saved searches, as main keeps them in the preferences: loaded once, followed when they
 * change elsewhere, and every edit sent up as the whole new list (main checks it again).
 */
import { useCallback, useEffect, useState } from 'react';
import type { PopboxApi } from '../../../../shared/api.js';
import type { SavedSearch } from '../../../../shared/search.js';
import { call, isApiError } from '../../api/client.js';

export interface SavedSearches {
  list: SavedSearch[];
  /** Replaces the list; null when main kept it, else why not in plain words. */
  replace: (next: SavedSearch[]) => Promise<string | null>;
}

export function useSavedSearches(api: PopboxApi): SavedSearches {
  const [list, setList] = useState<SavedSearch[]>([]);
  useEffect(() => {
    let live = true;
    call(api, 'getPreferences', {}).then(
      (p) => live && setList(p.savedSearches),
      () => {},
    );
    const off = api.on('preferencesChanged', (p) => setList(p.savedSearches));
    return () => {
      live = false;
      off();
    };
  }, [api]);
  const replace = useCallback(
    async (next: SavedSearch[]) => {
      try {
        const p = await call(api, 'updatePreferences', { savedSearches: next });
        setList(p.savedSearches);
        return null;
      } catch (e) {
        return isApiError(e) ? e.message.replace(/^updatePreferences: (savedSearches\.\d+\.)?/, '') : String(e);
      }
    },
    [api],
  );
  return { list, replace };
}
