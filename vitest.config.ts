import { defineConfig } from 'vitest/config';

const INTEGRATION_WORKERS = Math.max(1, Number(process.env.POPBOX_INTEGRATION_WORKERS ?? 1));

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['test/unit/setup.ts'],
          // Vitest's default 5 s is a speed assertion: a loaded 2-core machine (or CI) runs the
          // 10,000-message cases slower, never wrongly.
          testTimeout: 30_000,
        },
      },
      {
        // React components and the read model, in jsdom (DOMPurify does not sanitize under happy-dom).
        test: {
          name: 'renderer',
          include: ['test/renderer/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          setupFiles: ['test/renderer/setup.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          // Real servers (Dovecot, Postfix) are started per file on free loopback ports with their
          // own directories, so files share nothing but the machine; one file at a time all the same.
          // POPBOX_INTEGRATION_WORKERS=2 runs two files at a time, to be measured on a quiet machine
          // before it is the default: a first run at load 25 (session 9) failed in the fault suites
          // (outbox-faults, network-faults, crash, renderer-accounts).
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // The renderer's build and one Chromium, made once per run instead of once per browser file.
          globalSetup: ['test/support/integration-global.ts'],
          fileParallelism: INTEGRATION_WORKERS > 1,
          maxWorkers: INTEGRATION_WORKERS,
          // Its own group, so its worker count can differ from the unit and renderer projects'.
          sequence: { groupOrder: 1 },
          // A change that goes up to main and comes back down (browser → web host → journal →
          // change feed) can take over vitest's default second on a loaded 2-core CI machine.
          expect: { poll: { timeout: 5_000 } },
        },
      },
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
