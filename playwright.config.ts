import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS } from './tests/support/chromium.js';

/** CHROMIUM_PATH, else Debian's chromium, else Playwright's own browser (where it could be installed). */
const executablePath = process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

export const DEV_URL = 'http://127.0.0.1:5173';
export const BUILD_URL = 'http://127.0.0.1:4173';

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 90_000,
  workers: 1,
  // Playwright empties its outputDir at start: keep it apart from the vitest report beside it.
  outputDir: 'test-results/artifacts',
  reporter: [['list'], ['json', { outputFile: 'test-results/playwright.json' }]],
  use: {
    headless: true,
    launchOptions: {
      executablePath,
      args: CHROMIUM_ARGS,
    },
  },
  webServer: [
    { command: 'npx vite --logLevel warn', url: DEV_URL, reuseExistingServer: false, timeout: 60_000, env: { PDU_TEST: '1' } },
    // The build under test is the one `npm run build` made; preview serves it as a static site would.
    { command: 'npx vite preview --logLevel warn', url: BUILD_URL, reuseExistingServer: false, timeout: 60_000 },
  ],
});
