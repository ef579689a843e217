/**
 * `npm start` (build/start.mjs) where Electron's binary is missing, as on machines installed with
 * ELECTRON_SKIP_BINARY_DOWNLOAD=1: one line says so, and the same app is served in the browser.
 * ELECTRON_OVERRIDE_DIST_PATH at an empty folder makes the binary missing on any machine.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, expect, it } from 'vitest';
import { pidAlive } from '../support/servers.js';

const root = path.resolve(import.meta.dirname, '..', '..');
let tmp: string | undefined;

afterEach(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  tmp = undefined;
});

it('without the Electron binary, npm start (build/start.mjs) says so in one line and serves Popbox at the URL it prints and opens, with the arguments it was given', async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-start-'));
  const dataDir = path.join(tmp, 'data');
  const opened = path.join(tmp, 'opened');
  // The "system browser": a script that writes down what it was asked to open.
  const browser = path.join(tmp, 'browser.sh');
  await fs.writeFile(browser, `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`, { mode: 0o755 });
  // `npm start -- --data-dir DIR --secrets memory` reaches the web host (walkthrough C1: it passed none),
  // so the data directory given wins over POPBOX_DATA_DIR.
  const launcher = spawn(process.execPath, [path.join(root, 'build', 'start.mjs'), '--data-dir', dataDir, '--secrets', 'memory'], {
    cwd: root,
    env: { ...process.env, POPBOX_DATA_DIR: path.join(tmp, 'env-data'), BROWSER: browser, ELECTRON_OVERRIDE_DIST_PATH: path.join(tmp, 'no-electron') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  launcher.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let hostPid = 0;
  const exited = new Promise<number | null>((resolve) => launcher.on('exit', (code) => resolve(code)));
  try {
    const lines: string[] = [];
    let upToUrl = 0;
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: launcher.stdout }).on('line', (line) => {
        lines.push(line);
        const m = /^Popbox is running at (http:\/\/127\.0\.0\.1:\d+\/\S*)$/.exec(line);
        if (m) {
          upToUrl = lines.length;
          resolve(m[1]!);
        }
      });
      void exited.then((code) => reject(new Error(`the launcher exited (${code}) before printing a URL: ${lines.join('\n')}\n${stderr}`)));
    });
    expect(lines[0]).toMatch(/^popbox: Electron is not installed on this machine .*opening Popbox in your browser instead\.$/);
    expect(upToUrl, lines.join('\n')).toBe(2); // one line of explanation, then the URL
    expect(stderr).not.toMatch(/Electron failed to install|at .*\(.*:\d+:\d+\)/);

    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Popbox</title>');
    await expect.poll(() => fs.readFile(opened, 'utf8').catch(() => ''), { timeout: 20_000 }).toBe(url);
    // The web host holds the data directory it was given (its lock names its PID).
    hostPid = Number((await fs.readFile(path.join(dataDir, 'popbox.lock'), 'utf8')).split(/\s/)[0]);
    expect(pidAlive(hostPid)).toBe(true);
    expect(stderr).toContain('passwords are kept in memory only (--secrets memory)');
  } finally {
    launcher.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
  // The web host went with it and let go of the data directory.
  expect(pidAlive(hostPid)).toBe(false);
  await expect(fs.access(path.join(dataDir, 'popbox.lock'))).rejects.toThrow();
});
