/** The application menu as data (Electron's template type only), so it can be tested. */
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  getMail(): void;
  preferences(): void;
  search(): void;
  quit(): void;
}

export function appMenuTemplate(platform: NodeJS.Platform, actions: MenuActions): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const prefs: MenuItemConstructorOptions = { label: mac ? 'Settings…' : 'Preferences…', accelerator: 'CmdOrCtrl+,', click: () => actions.preferences() };
  const quit: MenuItemConstructorOptions = { label: mac ? 'Quit Popbox' : 'Quit', accelerator: 'CmdOrCtrl+Q', click: () => actions.quit() };
  return [
    ...(mac ? [{ label: 'Popbox', submenu: [{ role: 'about' }, { type: 'separator' }, prefs, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, quit] } as MenuItemConstructorOptions] : []),
    {
      label: mac ? 'Mail' : '&File',
      submenu: [{ label: 'Get Mail', accelerator: 'CmdOrCtrl+Shift+T', click: () => actions.getMail() }, { label: 'Search', accelerator: 'CmdOrCtrl+F', click: () => actions.search() }, ...(mac ? [] : [{ type: 'separator' } as const, prefs, { type: 'separator' } as const, quit])],
    },
    // Ctrl+A (select every message) and Ctrl +/-/0 (zoom, remembered) belong to the page: a menu
    // accelerator would take them first. macOS needs the roles for its text fields' Cmd keys.
    { label: '&Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, ...(mac ? [{ role: 'selectAll' } as const] : [])] },
    { label: '&View', submenu: [...(mac ? [{ role: 'resetZoom' } as const, { role: 'zoomIn' } as const, { role: 'zoomOut' } as const, { type: 'separator' } as const] : []), { role: 'togglefullscreen' }] },
    { label: '&Window', submenu: [{ role: 'minimize' }, { role: 'close' }] },
  ];
}
