/**
 * V8 optimizes a function with TurboFan once it has run a budget of bytecode (node 20: 66 KB).
 * A big first download runs ~260 distinct functions per isolate past that budget (the main thread's
 * and each parse worker's), and TurboFan compiles them all on V8's background threads: the largest
 * single cost of a 2,000-message sync in session 13's profile (~1.0 s CPU of 7.2 s under load,
 * ~0.6 s of 3.0 s at 800). Most of them are warm, not hot: with four times the budget only the ones
 * that stay hot are compiled, and those soon enough for the download's steady part.
 * Measured alternating under load 20–30 (test/bench/pop3-sync.ts, bench mailboxes over plain POP3,
 * CPU of the sync until searchable, medians): 800 messages 3,482 -> 2,918 ms (6 runs each, every
 * run with it below every run without; V8's background threads 665 -> 320 ms); 2,000 messages
 * 7,986 -> 7,011 ms with the flag on node's command line (6 runs each; background threads 1,320 ->
 * 580 ms), 8,439 -> 8,132 ms as set here (4 runs each, noisy); a second sync in the same process,
 * everything already compiled, no slower (2,049 -> 1,958 ms at 800). Eight times the budget left
 * the main thread slower again.
 *
 * Set at run time, once, when a sync has enough to download for it to matter: V8 reads the budget
 * whenever it resets a function's, and a flag changed at run time makes node compile its modules
 * loaded afterwards from source (cli/heap-flag.ts), which a check or a small download should not pay.
 * Process-wide: parse workers started after it take it too. Under Electron's V8 (with Maglev as a
 * middle tier, TurboFan's default budget is already 132 KB) it would double it; not measured there,
 * so the Electron app leaves its budget alone until it is (node's documentation warns that a flag
 * changed after start may misbehave; this one is a number V8 reads when it resets a budget, and it
 * was run here in node only: the CLI, the web host, the bench).
 */
import v8 from 'node:v8';

/** Downloads of fewer messages leave V8's budget alone. */
export const TIER_UP_LATER_FROM = 100;
const BUDGET_FLAG = `--interrupt-budget=${264 * 1024}`;

let raised = false;

/** For a download of `messages`: raise TurboFan's budget for the rest of the process (once). */
export function tierUpLaterFor(messages: number): void {
  if (raised || messages < TIER_UP_LATER_FROM || process.versions.electron !== undefined) return;
  raised = true;
  v8.setFlagsFromString(BUDGET_FLAG);
}
