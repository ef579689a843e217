/**
 * Get Mail (the toolbar's button, G, the shell's menu and tray), and what the shell's menus,
 * tray and notifications ask of the window through the `command` and `notice` events.
 */
import { useCallback, useEffect, useState } from 'react';
import { call, type PopboxApi } from '../api/client.js';
import { syncSummaryText } from '../features/status/explain.js';

/** `getting` while a Get Mail runs; what it found (or why it failed) goes to `report`. */
export function useGetMail(api: PopboxApi, report: (notice: string | null) => void): { getting: boolean; getMail: () => Promise<void> } {
  const [getting, setGetting] = useState(false);
  const getMail = useCallback(async () => {
    setGetting(true);
    report(null);
    try {
      report(syncSummaryText(await call(api, 'syncNow', {})));
    } catch (e) {
      report(`Get Mail failed: ${(e as Error).message}`);
    } finally {
      setGetting(false);
    }
  }, [api, report]);
  return { getting, getMail };
}

export interface ShellCommands {
  getMail(): void;
  openSettings(): void;
  focusSearch(): void;
  /** A notification clicked: that message, in its own folder. */
  openMessage(id: string): void;
  notice(message: string): void;
}

/** `deps`: when the handlers change (they are read when the listeners are set up). */
export function useShellCommands(api: PopboxApi, to: ShellCommands, deps: readonly unknown[]): void {
  useEffect(() => {
    const offCommand = api.on('command', ({ command, id }) => {
      if (command === 'get-mail') to.getMail();
      else if (command === 'open-settings') to.openSettings();
      else if (command === 'focus-search') to.focusSearch();
      else if (command === 'open-message' && id) to.openMessage(id);
    });
    const offNotice = api.on('notice', ({ message }) => to.notice(message));
    return () => {
      offCommand();
      offNotice();
    };
  }, [api, ...deps]);
}
