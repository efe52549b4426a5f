// Import cost: in fresh Node processes, the time to import `stripe` and then `stripe-marketplace`,
// minus the time to import `stripe` alone. The two kinds of process alternate.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fmt, median } from './lib.mjs';

const PROCESSES_PER_SIDE = 31;
const CHILD = fileURLToPath(new URL('./import-child.mjs', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));

function measure(mode) {
  return JSON.parse(execFileSync(process.execPath, [CHILD, mode], { cwd: root, encoding: 'utf8' }));
}

export async function benchImportCost() {
  const alone = [];
  const both = [];
  const differences = [];
  const inProcess = [];
  measure('both'); // warm the file system cache
  for (let i = 0; i < PROCESSES_PER_SIDE; i++) {
    const order = i % 2 === 0 ? ['alone', 'both'] : ['both', 'alone'];
    const pair = {};
    for (const mode of order) pair[mode] = measure(mode);
    alone.push(pair.alone.total);
    both.push(pair.both.total);
    // Each pair ran back to back, so its difference is less exposed to drift than two separate medians.
    differences.push(pair.both.total - pair.alone.total);
    inProcess.push(pair.both.total - pair.both.stripe);
  }
  const cost = median(differences);
  return {
    name: 'Import cost',
    value: cost,
    display: `${fmt(cost, 1)} ms`,
    target: '<= 15 ms',
    met: cost <= 15,
    detail:
      `median over ${PROCESSES_PER_SIDE} back-to-back pairs of fresh processes of (stripe then stripe-marketplace) minus ` +
      `(stripe alone); medians ${fmt(median(both), 1)} ms and ${fmt(median(alone), 1)} ms. ` +
      `Timed inside the process, the import after stripe takes ${fmt(median(inProcess), 1)} ms`,
  };
}
