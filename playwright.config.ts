import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

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
      // ENVIRONMENT.md: without the background-networking flags Chromium tries to reach Google's
      // hosts; without the mDNS feature off it hides host candidates behind .local names.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-features=WebRtcHideLocalIpsWithMdns',
      ],
    },
  },
  webServer: [
    { command: 'npx vite --logLevel warn', url: DEV_URL, reuseExistingServer: false, timeout: 60_000 },
    // The build under test is the one `npm run build` made; preview serves it as a static site would.
    { command: 'npx vite preview --logLevel warn', url: BUILD_URL, reuseExistingServer: false, timeout: 60_000 },
  ],
});
