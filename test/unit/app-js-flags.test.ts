/**
 * The app's main process runs the sync with V8's young generation at 4 MB semi-spaces
 * (electron/main/js-flags.ts; issue 18: one full GC instead of up to 39 in a long sync). V8 reads
 * it only from the command line, so what must hold is that every launcher we control passes it:
 * `npm start`, the Linux desktop entries (deb and AppImage, the AppImage keeping its
 * --no-sandbox), and the Windows start at login.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { JS_FLAGS_SWITCH, MAIN_V8_FLAGS, loginItemArgs } from '../../electron/main/js-flags.js';

const root = path.resolve(import.meta.dirname, '..', '..');
/** electron-builder's own YAML reader (it depends on js-yaml; no types of its own here). */
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

describe("the app's V8 flags reach its launchers", () => {
  it('the switch carries every flag as one --js-flags argument', () => {
    expect(MAIN_V8_FLAGS).toContain('--max-semi-space-size=4');
    expect(JS_FLAGS_SWITCH).toBe(`--js-flags=${MAIN_V8_FLAGS.join(' ')}`);
  });

  it('npm start passes the switch from the build it just made, before the app and the user’s arguments', async () => {
    const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-js-flags-'));
    try {
      await build({ entryPoints: [path.join(root, 'electron/main/js-flags.ts')], outfile: path.join(dist, 'electron', 'main', 'js-flags.js'), format: 'esm', platform: 'node', logLevel: 'warning' });
      // Imported, start.mjs launches nothing: it only lends electronArgs.
      const start = (await import(pathToFileURL(path.join(root, 'build', 'start.mjs')).href)) as { electronArgs(userArgs: string[], dist: string): Promise<string[]> };
      expect(await start.electronArgs(['--hidden'], dist)).toEqual([JS_FLAGS_SWITCH, '.', '--hidden']);
    } finally {
      fs.rmSync(dist, { recursive: true, force: true });
    }
  });

  it("the deb's and the AppImage's desktop entries pass it (electron-builder's executableArgs)", () => {
    const config = yaml.load(fs.readFileSync(path.join(root, 'build', 'electron-builder.yml'), 'utf8')) as {
      linux: { executableArgs?: string[] };
      appImage?: { executableArgs?: string[] };
    };
    expect(config.linux.executableArgs).toContain(JS_FLAGS_SWITCH);
    // electron-builder's AppImage entry drops its default --no-sandbox once executableArgs is set.
    expect(config.appImage?.executableArgs).toEqual(expect.arrayContaining(['--no-sandbox', JS_FLAGS_SWITCH]));
  });

  it('the start at login passes it beside --hidden', () => {
    expect(loginItemArgs()).toEqual(['--hidden', JS_FLAGS_SWITCH]);
  });
});
