import { configDefaults, defineConfig } from 'vitest/config';

/** A worker count from the environment: a whole number from 1 up, else the default (a typo is not NaN workers). */
function workerCount(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : fallback;
}

const INTEGRATION_WORKERS = workerCount(process.env.POPBOX_INTEGRATION_WORKERS, 1);

/**
 * Integration files that run alone, one at a time, after all the others, when the rest run two at a
 * time (`npm run test:integration` sets POPBOX_INTEGRATION_WORKERS=2 unless told otherwise; see
 * test/README.md). Each kills processes at random points, injects faults on a timer, or asserts a
 * time budget (a sync through faults, a stall, a marking's bound): a second file beside them would
 * change what they measure, and session 9's try with two files at a time at load 25 failed in
 * exactly these. crash-moves and crash-rules use both cores themselves (test/support/lanes.ts).
 * A new file of that kind belongs here.
 */
const INTEGRATION_ALONE = [
  'test/integration/crash*.test.ts',
  'test/integration/network-faults.test.ts',
  'test/integration/outbox-faults.test.ts',
  'test/integration/outbox.test.ts',
  'test/integration/pop3-faults.test.ts',
  'test/integration/hostile-servers.test.ts',
  'test/integration/lock-race.test.ts',
  'test/integration/renderer-search-marks.test.ts',
  // Kills a CLI sync while its parse worker writes the index, then searches within a 5 s wait.
  'test/integration/search-after-sync.test.ts',
];

/**
 * Workers for the unit and renderer projects: POPBOX_UNIT_WORKERS=N (`npm run test:unit` sets 2 unless told
 * otherwise, with typecheck and lint beside it in `npm test`: .ci/together.sh), else vitest's default (cores − 1).
 */
const unitWorkers = workerCount(process.env.POPBOX_UNIT_WORKERS, 0);
const UNIT_WORKERS = unitWorkers > 0 ? { maxWorkers: unitWorkers } : {};

/**
 * Unit files that watch memory being let go (a WeakRef emptied, RSS after a large read): they call
 * gc() (test/support/gc.ts), so they run in the `unit-gc` project, whose workers start with
 * --expose-gc. They used to switch it on at run time (v8.setFlagsFromString), which Node documents
 * as unpredictable once V8 has started and which stays on for whatever else that worker runs. A
 * new file that calls gc() belongs here (in `unit`, gc() throws).
 */
const UNIT_GC = ['test/unit/compose-suggest.test.ts', 'test/unit/mime-memory.test.ts', 'test/unit/quick-check-memory.test.ts'];

/** Settings both unit projects share. */
const unit = {
  ...UNIT_WORKERS,
  environment: 'node' as const,
  setupFiles: ['test/unit/setup.ts'],
  // Vitest's default 5 s is a speed assertion: a loaded 2-core machine (or CI) runs the
  // 10,000-message cases slower, never wrongly. 30 s was not enough at load 30 (a jsdom
  // render of 1,500 linked lines took 42 s beside 2 workers, typecheck and other runs).
  testTimeout: 120_000,
};

/** Settings both integration lanes share. */
const integration = {
  environment: 'node' as const,
  // A hang guard, never a speed assertion: a test's time is its CPU work times the machine's load
  // (at load 20-28 on 2 cores, 8 CLI starts took 56 s and 8 keychain steps through tsx ~45 s), so a
  // budget sized to a quiet machine fails a correct test. A test that names its own keeps it.
  testTimeout: 180_000,
  hookTimeout: 180_000,
  // The renderer's build and one Chromium, made once per run instead of once per browser file (the
  // second lane's setup finds them made and leaves them alone).
  globalSetup: ['test/support/integration-global.ts'],
  // A change that goes up to main and comes back down (browser → web host → journal →
  // change feed) can take over vitest's default second on a loaded 2-core CI machine, and over
  // 5 s at load 15-25 (renderer-server-view's Refresh in session 11's two-lane run). A poll ends
  // as soon as its condition holds, so the bound only decides how long a real failure takes to show.
  expect: { poll: { timeout: 20_000 } },
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...unit,
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...UNIT_GC],
        },
      },
      {
        test: {
          ...unit,
          name: 'unit-gc',
          include: UNIT_GC,
          execArgv: ['--expose-gc'],
        },
      },
      {
        // React components and the read model, in jsdom (DOMPurify does not sanitize under happy-dom).
        test: {
          name: 'renderer',
          include: ['test/renderer/**/*.test.{ts,tsx}'],
          ...UNIT_WORKERS,
          environment: 'jsdom',
          setupFiles: ['test/renderer/setup.ts'],
          testTimeout: 120_000,
        },
      },
      {
        test: {
          ...integration,
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Real servers (Dovecot, Postfix) are started per file on free loopback ports with their
          // own directories (a port taken between probe and bind is picked again), so files share
          // nothing but the machine. By default (`npx vitest run --project integration FILE`) this
          // project holds every file and runs them one at a time. With POPBOX_INTEGRATION_WORKERS=N
          // (N > 1, with `--project 'integration*'` as `npm run test:integration` has it) it runs all
          // but INTEGRATION_ALONE, N at a time, and the project below runs those afterwards, one at a time.
          exclude: [...configDefaults.exclude, ...(INTEGRATION_WORKERS > 1 ? INTEGRATION_ALONE : [])],
          fileParallelism: INTEGRATION_WORKERS > 1,
          maxWorkers: INTEGRATION_WORKERS,
          // Its own group, so its worker count can differ from the unit and renderer projects'.
          sequence: { groupOrder: 1 },
        },
      },
      ...(INTEGRATION_WORKERS > 1
        ? [
            {
              test: {
                ...integration,
                name: 'integration-alone',
                include: INTEGRATION_ALONE,
                fileParallelism: false,
                maxWorkers: 1,
                // After the group above: vitest runs groups one after another, each with its own workers.
                sequence: { groupOrder: 2 },
              },
            },
          ]
        : []),
      {
        // Needs the Electron binary: `npm run test:electron`, not part of `npm test`.
        test: {
          name: 'electron',
          include: ['test/electron/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
