import os from 'node:os';
import path from 'node:path';

/** Where the desktop app keeps its data (Electron's userData for the product name "Popbox"). */
export function defaultDataDir(): string {
  if (process.env.POPBOX_DATA_DIR) return path.resolve(process.env.POPBOX_DATA_DIR);
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Popbox');
    case 'win32':
      return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Popbox');
    default:
      return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Popbox');
  }
}
