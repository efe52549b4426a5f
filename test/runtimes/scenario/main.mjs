// Node, Bun and Deno: run the scenario on the installed tarball and print its report as one JSON line.
import * as lib from 'stripe-marketplace';
import * as testing from 'stripe-marketplace/testing';
import { runScenario } from './scenario.mjs';

console.log(JSON.stringify(await runScenario({ lib, testing, listen: 'serves' })));
