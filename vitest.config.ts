import { defineConfig } from 'vitest/config';

// Node-side suites: unit, property, integration (real werift peers) and emulated-network tests
// (namespaces joined by the userspace router; they skip with one line without root).
// Browser suites run under Playwright (tests/e2e), not here.
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/node/**/*.test.ts', 'tests/net/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
