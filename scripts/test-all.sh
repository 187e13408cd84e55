#!/usr/bin/env bash
# Every test: the Node suites (vitest) and the Chromium suites (Playwright), both inside one private
# network namespace (scripts/netns-run.sh), then one summary line over both. Expects `npm run build`
# to have run (npm test's pretest does it).
set -uo pipefail
cd "$(dirname "$0")/.."
rm -rf test-results && mkdir -p test-results
scripts/netns-run.sh bash -c '
  echo "== Node tests (vitest) =="
  npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json
  echo "== Browser tests (Playwright, Chromium) =="
  npx playwright test
  true'
node scripts/test-summary.mjs test-results/vitest.json test-results/playwright.json
