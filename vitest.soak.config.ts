import { defineConfig } from 'vitest/config';

// Long runs outside CI (`npm run test:soak`): the 10,000-message soaks CONTRACTS.md asks for.
export default defineConfig({
  test: {
    include: ['tests/soak/**/*.test.ts'],
    testTimeout: 1_800_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
