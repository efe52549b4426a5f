// Prints one closing line for the last vitest run ("tests: N passed, N failed, N skipped") and, with
// --no-skips, fails when any test was skipped: in CI the PostgreSQL server and browser tests must run.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync('test-artifacts/vitest.json', 'utf8'));
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
if (process.argv.includes('--no-skips') && skipped > 0) {
  const names = report.testResults
    .flatMap((file) =>
      file.assertionResults
        .filter((t) => ['pending', 'skipped', 'todo'].includes(t.status))
        .map((t) => `${file.name}: ${t.fullName}`),
    )
    .slice(0, 20);
  console.error(`${skipped} test(s) were skipped; CI runs every test:\n${names.join('\n')}`);
  process.exit(1);
}
if (report.numTotalTests === 0 || report.numFailedTests > 0) process.exit(1);
