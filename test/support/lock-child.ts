/**
 * One of several processes racing for lock files (test/integration/lock-race.test.ts):
 * `node --import tsx lock-child.ts DIR ROUNDS T0 PERIOD_MS`. Round r starts at T0 + r·PERIOD: the
 * child tries acquireLock(DIR/lock-r) — a stale lock the test left — and prints `r got` or
 * `r busy`. It never releases: a lock it got stays held (by its live PID) until it exits, so
 * any second `got` in a round is a second owner at the same time.
 */
import path from 'node:path';
import { acquireLock } from '../../electron/core/store/lock.js';

const [dir, roundsArg, t0Arg, periodArg] = process.argv.slice(2);
const rounds = Number(roundsArg);
const t0 = Number(t0Arg);
const period = Number(periodArg);
const lines: string[] = [];
for (let r = 0; r < rounds; r++) {
  const wait = t0 + r * period - Date.now();
  if (wait > 0) await new Promise((res) => setTimeout(res, wait));
  try {
    await acquireLock(path.join(dir!, `lock-${r}`), () => 'busy');
    lines.push(`${r} got`);
  } catch (e) {
    lines.push(`${r} ${(e as { code?: string }).code === 'in-use' ? 'busy' : `error ${(e as Error).message}`}`);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
// Stay alive until told: the locks we got must look held (live PID) while the others race.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
