// `npm run bench`: builds (through the npm script), then measures the built package in dist/ and
// writes bench/RESULTS.md. Figures that miss their target are marked; the run itself does not fail.
// `node bench/run.mjs --only core` (`npm run bench:core`) measures the webhook pipeline's figures alone and
// keeps the other figures RESULTS.md has. The PostgreSQL figures need DATABASE_URL.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, type } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packTarball, readPackage, root } from '../scripts/lib/package.mjs';
import { benchCheckout } from './checkout.mjs';
import { benchImportCost } from './import-cost.mjs';
import { benchSandboxFlow } from './sandbox-flow.mjs';
import { benchWebhookCore } from './webhook-core.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

function tarballSize() {
  const destination = path.join(tmpdir(), `stripe-marketplace-bench-${process.pid}`);
  const packed = packTarball(destination);
  rmSync(destination, { recursive: true, force: true });
  const kb = packed.size / 1024;
  const mapBytes = Object.entries(packed.sizes)
    .filter(([file]) => file.endsWith('.map'))
    .reduce((sum, [, bytes]) => sum + bytes, 0);
  return {
    name: 'Packed tarball size',
    value: kb,
    display: `${kb.toFixed(1)} KB`,
    target: '(reported)',
    met: null,
    detail:
      `npm pack: ${packed.files.length} files, ${(packed.unpackedSize / 1024).toFixed(1)} KB unpacked, of which source maps ` +
      `${(mapBytes / 1024).toFixed(1)} KB`,
  };
}

const pkg = readPackage();
const stripeVersion = JSON.parse(readFileSync(path.join(root, 'node_modules', 'stripe', 'package.json'), 'utf8')).version;
const machine = {
  date: new Date().toISOString(),
  os: `${type()} ${release()}`,
  cpu: `${cpus()[0]?.model ?? 'unknown'} (${cpus().length} logical CPUs)`,
  node: process.version,
  stripe: stripeVersion,
};

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const benches =
  only === 'core' ? [benchWebhookCore] : [benchWebhookCore, benchCheckout, benchImportCost, tarballSize, benchSandboxFlow];
console.log(
  process.env.DATABASE_URL
    ? 'PostgreSQL figures: measured on DATABASE_URL'
    : 'PostgreSQL figures: not measured (DATABASE_URL is not set)',
);
const results = [];
for (const bench of benches) {
  for (const result of [await bench()].flat()) {
    const mark = result.met === null ? '' : result.met ? ' ✓' : ' ✗ target missed';
    console.log(`${result.name}: ${result.display ?? 'n/a'} (target ${result.target})${mark}\n  ${result.detail}`);
    results.push(result);
  }
}

/** The rows and details of the figures RESULTS.md has that this run did not measure. */
function keptFigures(file) {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { rows: [], details: [] };
  }
  const measured = new Set(results.map((r) => r.name));
  const rows = text
    .split('\n')
    .filter((line) => /^\| (?!Figure |---)/.test(line) && !measured.has(line.split(' | ')[0].slice(2)));
  const details = text.split('\n').filter((line) => line.startsWith('- **') && !measured.has(line.slice(4, line.indexOf('**:'))));
  return { rows, details };
}

const resultsFile = path.join(here, 'RESULTS.md');
const kept = only ? keptFigures(resultsFile) : { rows: [], details: [] };
const keptNames = kept.rows.map((row) => row.split(' | ')[0].slice(2));
const keptNote = keptNames.length
  ? `\nKept from an earlier run, not measured in this one (its date and machine may differ): ${keptNames.join(', ')}.\n`
  : '';
const status = (result) => (result.met === null ? '–' : result.met ? 'met' : '**missed**');
const markdown = `# Benchmark results

\`npm run bench\` on ${pkg.name} ${pkg.version}. Every ratio is measured against a baseline in the same run,
alternating the two sides round by round; each is the median of the per-round ratios, with the lowest
and highest round as its spread. Regenerate this file with \`npm run bench\` (\`npm run bench:core\` for the
webhook pipeline's figures alone; the PostgreSQL ones need \`DATABASE_URL\`). Figures measured on a shared,
loaded machine are noisy: read the spread next to each median, and compare runs made on the same machine.

- Date: ${machine.date}
- OS: ${machine.os}
- CPU: ${machine.cpu}
- Node: ${machine.node}
- stripe: ${machine.stripe}
${keptNote}
| Figure | Result | Target | Status |
| --- | --- | --- | --- |
${[...results.map((r) => `| ${r.name} | ${r.display ?? 'n/a'} | ${r.target} | ${status(r)} |`), ...kept.rows].join('\n')}

${[...results.map((r) => `- **${r.name}**: ${r.detail}.`), ...kept.details].join('\n')}
`;
writeFileSync(resultsFile, markdown);
console.log(`\nwrote ${path.relative(process.cwd(), resultsFile)}`);
