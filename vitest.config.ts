import { defineConfig } from 'vitest/config';

// Node-side suites: unit, property and integration tests (real werift peers).
// Browser suites run under Playwright (tests/e2e), not here.
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/node/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
