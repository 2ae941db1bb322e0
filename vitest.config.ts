import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'scripts/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['./apps/desktop/test/global-setup.ts'],
    // Two test files at a time on the 2-core machines CI runs on (the default leaves one core
    // idle): the suite's real daemons wait on events with generous timeouts, not on the clock.
    maxWorkers: 2,
    reporters: ['default', './scripts/summary-reporter.ts']
  }
})
