/**
 * V8's flags for the app's main process, where the sync runs (issue 18). With V8's default heap
 * a long sync made 1–39 full mark-compacts of a ~20 MB old generation: the socket chunks'
 * ArrayBuffer bytes count against the old generation's room, and with a young generation that
 * starts small, short-lived objects were promoted and collected there. A fixed semi-space keeps
 * them young: 4 MB since session 15 (8 before): −25 MB peak RSS, ~6,000 fewer page faults and
 * −9 % CPU at 800 messages over TLS, the same CPU at 2,000 (the README's Performance section).
 *
 * V8 reads the semi-space size once, when the heap is made, before any of the app's code runs:
 * so it must be on Electron's command line as --js-flags (app.commandLine.appendSwitch comes too
 * late for the main process; Electron's docs/api/command-line-switches.md says so, and
 * shell/browser/javascript_environment.cc reads the switch before the isolate is created).
 * Who passes it: `npm start` (build/start.mjs), the Linux desktop entries of the deb and the
 * AppImage (build/electron-builder.yml, executableArgs) and, on Windows, the start at login
 * (loginItemArgs). macOS launches apps with no arguments of ours, and NODE_OPTIONS is fused off:
 * there, and from the Windows Start menu, the app runs with V8's default heap.
 *
 * No Electron or node imports: build/start.mjs (through dist) and the benchmark read it too.
 */

/** What V8 is given in the main process; the POP3 benchmark's sync row runs with the same. */
export const MAIN_V8_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/** The Chromium switch that carries them to V8: one argument, spaces between flags. */
export const JS_FLAGS_SWITCH = `--js-flags=${MAIN_V8_FLAGS.join(' ')}`;

/** The value of our switch, as app.commandLine.getSwitchValue('js-flags') reports it. */
export const JS_FLAGS_VALUE = MAIN_V8_FLAGS.join(' ');

/** The arguments the app is started with at login (Windows honours them; macOS ignores them). */
export function loginItemArgs(): string[] {
  return ['--hidden', JS_FLAGS_SWITCH];
}
