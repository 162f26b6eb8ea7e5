/**
 * `npm run bench`: runs every benchmark in turn, prints their figures and exits.
 * `npm run bench -- release-triggers router` runs only the named ones (`router` includes `streams`).
 */
import { printDataPlaneCrashBench } from './dataplane-crash.js';
import { printHandoffBench } from './handoff.js';
import { printHeaderRouteBench } from './header-route.js';
import { printJudgesBench } from './judges.js';
import { printOfrepBench } from './ofrep.js';
import { printReleasePlanBench } from './release-plan.js';
import { printReleaseTriggersBench } from './release-triggers.js';
import { benchRollout } from './rollout.js';
import { benchRouter } from './router.js';
import { printScaleBench } from './scale.js';
import { printScaleKubernetesBench } from './scale-kubernetes.js';
import { benchStreams } from './streams.js';

const only = process.argv.slice(2);
const wanted = (name: string) => only.length === 0 || only.includes(name);

if (wanted('router')) await benchRouter();
if (wanted('router') || wanted('streams')) await benchStreams();
if (wanted('header-route')) printHeaderRouteBench();
if (wanted('judges')) printJudgesBench();
if (wanted('dataplane-crash')) await printDataPlaneCrashBench();
if (wanted('release-triggers')) await printReleaseTriggersBench();
if (wanted('handoff')) await printHandoffBench();
if (wanted('release-plan')) await printReleasePlanBench();
if (wanted('ofrep')) await printOfrepBench();
if (wanted('scale')) await printScaleBench();
if (wanted('scale-kubernetes')) await printScaleKubernetesBench();
if (!wanted('rollout')) process.exit(0);

console.log('\n== rollout: failed requests and fault-to-stable time ==');
const r = await benchRollout();
const max = Math.max(...r.rollbackMs);
const median = [...r.rollbackMs].sort((a, b) => a - b)[Math.floor(r.rollbackMs.length / 2)] ?? 0;
console.log(
  `requests sent ${r.sent} at ${r.rate} req/s across a canary, a control-plane kill -9 and ${r.rollbackMs.length} rollbacks`,
);
console.log(
  `failed requests (other than the injected faults): ${r.failed}  (goal 0)${r.failed === 0 ? '' : '  MISSED'}`,
);
console.log(
  `fault onset -> 100% on stable: median ${(median / 1000).toFixed(2)} s, max ${(max / 1000).toFixed(2)} s  (goal <= 5 s)${max <= 5000 ? '' : `  MISSED by ${((max - 5000) / 1000).toFixed(2)} s`}`,
);
process.exit(0);
