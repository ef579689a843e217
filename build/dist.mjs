// `npm run dist`: installers for this platform with electron-builder (build/electron-builder.yml).
// Needs the Electron binary: without it, say so in one line and build nothing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const electronDist = process.env.ELECTRON_DIST ?? path.join(root, 'node_modules', 'electron', 'dist');
const binary = { darwin: 'Electron.app', win32: 'electron.exe' }[process.platform] ?? 'electron';
if (!fs.existsSync(path.join(electronDist, binary))) {
  console.error(`npm run dist: no Electron binary at ${electronDist} (install without ELECTRON_SKIP_BINARY_DOWNLOAD, or set ELECTRON_DIST to an unpacked Electron); nothing was built.`);
  process.exit(1);
}
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run('npm', ['run', 'build']);
run('npx', ['electron-builder', '--config', 'build/electron-builder.yml', '--publish', 'never', `-c.electronDist=${electronDist}`, ...process.argv.slice(2)]);
