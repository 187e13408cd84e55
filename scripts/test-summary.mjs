// Reads the vitest and Playwright JSON reports and prints one line per suite and the closing
// `N passed, N failed, N skipped` line over both. A missing report counts as a failure: a runner
// that crashed before reporting must not look like a clean run.
import { existsSync, readFileSync } from 'node:fs';

const [vitestPath, playwrightPath] = process.argv.slice(2);
const totals = { passed: 0, failed: 0, skipped: 0 };

function add(suite, counts) {
  console.log(`${suite}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  for (const key of Object.keys(totals)) totals[key] += counts[key];
}

function read(path) {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

const vitest = read(vitestPath);
if (vitest) {
  add('Node (vitest)', {
    passed: vitest.numPassedTests,
    // Failed tests, plus each file that failed with no failed test in it (an import error, a
    // failed hook). Failed suites are not added: a failed test also fails every describe block
    // and the file around it, and would be counted once per level.
    failed:
      vitest.numFailedTests +
      (vitest.testResults ?? []).filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed')).length +
      (vitest.success || vitest.numFailedTests > 0 || (vitest.testResults ?? []).some((f) => f.status === 'failed') ? 0 : 1),
    skipped: vitest.numPendingTests + vitest.numTodoTests,
  });
} else {
  add('Node (vitest)', { passed: 0, failed: 1, skipped: 0 });
  console.log(`  no report at ${vitestPath}`);
}

const playwright = read(playwrightPath);
if (playwright) {
  const s = playwright.stats;
  const errors = playwright.errors?.length ?? 0;
  add('Browser (Playwright)', { passed: s.expected + s.flaky, failed: s.unexpected + errors, skipped: s.skipped });
} else {
  add('Browser (Playwright)', { passed: 0, failed: 1, skipped: 0 });
  console.log(`  no report at ${playwrightPath}`);
}

if (totals.passed === 0) totals.failed++;
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exitCode = totals.failed > 0 ? 1 : 0;
