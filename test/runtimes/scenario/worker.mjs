// workerd without Node compatibility: `workerd test` calls this module's test() handler.
import * as lib from 'stripe-marketplace';
import * as testing from 'stripe-marketplace/testing';
import { runScenario } from './scenario.mjs';

export default {
  async test() {
    console.log(JSON.stringify(await runScenario({ lib, testing, listen: 'refuses' })));
  },
};
