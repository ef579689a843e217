/** The tray icon's menu and tooltip, as data the shell turns into an Electron Menu. */
export type TrayAction = 'open' | 'get-mail' | 'quit';
export type TrayItem = { kind: 'item'; action: TrayAction; label: string; enabled: boolean } | { kind: 'separator' };

export function trayMenuModel(state: { unread: number; syncing: boolean }): TrayItem[] {
  return [
    { kind: 'item', action: 'open', label: state.unread > 0 ? `Open Popbox (${state.unread} unread)` : 'Open Popbox', enabled: true },
    { kind: 'item', action: 'get-mail', label: state.syncing ? 'Getting Mail…' : 'Get Mail', enabled: !state.syncing },
    { kind: 'separator' },
    { kind: 'item', action: 'quit', label: 'Quit Popbox', enabled: true },
  ];
}

export function trayTooltip(state: { unread: number; syncing: boolean }): string {
  const count = state.unread === 0 ? 'No unread mail' : `${state.unread} unread message${state.unread === 1 ? '' : 's'}`;
  return `Popbox — ${count}${state.syncing ? ' · checking…' : ''}`;
}
