// `npm run bench`: builds (through the npm script), then measures the built package in dist/ and
// writes bench/RESULTS.md. Figures that miss their target are marked; the run itself does not fail.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, type } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packTarball, readPackage, root } from '../scripts/lib/package.mjs';
import { benchCheckout } from './checkout.mjs';
import { benchImportCost } from './import-cost.mjs';
import { benchSandboxFlow } from './sandbox-flow.mjs';
import { benchWebhook } from './webhook.mjs';

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

const results = [];
for (const bench of [benchWebhook, benchCheckout, benchImportCost, tarballSize, benchSandboxFlow]) {
  const result = await bench();
  const mark = result.met === null ? '' : result.met ? ' ✓' : ' ✗ target missed';
  console.log(`${result.name}: ${result.display ?? 'n/a'} (target ${result.target})${mark}\n  ${result.detail}`);
  results.push(result);
}

const status = (result) => (result.met === null ? '–' : result.met ? 'met' : '**missed**');
const markdown = `# Benchmark results

\`npm run bench\` on ${pkg.name} ${pkg.version}. Every ratio is measured against a baseline in the same run,
alternating the two sides round by round. Regenerate this file with \`npm run bench\`.

- Date: ${machine.date}
- OS: ${machine.os}
- CPU: ${machine.cpu}
- Node: ${machine.node}
- stripe: ${machine.stripe}

| Figure | Result | Target | Status |
| --- | --- | --- | --- |
${results.map((r) => `| ${r.name} | ${r.display ?? 'n/a'} | ${r.target} | ${status(r)} |`).join('\n')}

${results.map((r) => `- **${r.name}**: ${r.detail}.`).join('\n')}
`;
writeFileSync(path.join(here, 'RESULTS.md'), markdown);
console.log(`\nwrote ${path.relative(process.cwd(), path.join(here, 'RESULTS.md'))}`);
