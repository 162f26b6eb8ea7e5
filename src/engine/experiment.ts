import type { AnalysisPhase, ExperimentSetRef } from '../analysis/types.js';
import { durationToMs } from '../spec/duration.js';
import type { AnalysisArg, RolloutExperimentStep } from '../spec/types.js';
import type { Decision } from './decision.js';
import { abortForAnalysis, runName } from './lifecycle.js';

/** Replicas of an experiment template when it gives none, as Argo Rollouts. */
const DEFAULT_EXPERIMENT_REPLICAS = 1;

/**
 * Name of an experiment's replica set: `<experiment>-<template>`, e.g. `web-r2-s1-baseline`.
 * Deterministic, so a restarted controller finds the sets it started.
 */
function setName(experiment: string, template: string): string {
  return `${experiment}-${template}`;
}

/**
 * Works on a canary `experiment` step, as Argo Rollouts' experiment step with traffic routing; true
 * once it is complete. Pure (on the decision).
 *
 * 1. Each template runs as its own replica set of the stable (`specRef: stable`, the baseline) or
 *    the canary revision (`specRef: canary`, the candidate), named `<experiment>-<template>`, so a
 *    fresh baseline is compared with a fresh candidate (as Kayenta recommends), and gets its
 *    `weight` of the main port, taken from the stable revision's share.
 * 2. Once every set is ready and the router is observed routing it, the experiment is available
 *    (`status.experiment.availableAt`; event `ExperimentAvailable`) and its analyses start, one
 *    AnalysisRun `<experiment>-<analysis>` each, whose builtin metrics address the sets as
 *    `revision: experiment:<template>`.
 * 3. An analysis Failed or Error aborts the update (the reason names the run and its metric); one
 *    Inconclusive pauses it (`InconclusiveAnalysisRun`) until promote or abort.
 * 4. It completes when `duration` has passed since it became available, or when every analysis with
 *    `requiredForCompletion` is Successful. Its sets then leave the router first and are scaled to 0
 *    once the router is observed sending them nothing; runs still measuring are terminated.
 */
export function experimentStepDone(d: Decision, step: RolloutExperimentStep, index: number): boolean {
  const s = d.status;
  const { name, sets, available } = holdExperiment(d, step, index);
  if (!available) return false;
  if (s.experiment === undefined) {
    s.experiment = { name, availableAt: d.now };
    s.lastProgressAt = d.now;
    d.event('Normal', 'ExperimentAvailable', `Experiment ${name} is running: ${describe(step)}`);
  }

  const phases: { name: string; phase: AnalysisPhase; required: boolean }[] = [];
  for (const a of step.analyses ?? []) {
    const run = `${name}-${a.name}`;
    const analysis = {
      templates: [
        {
          templateName: a.templateName,
          ...(a.clusterScope !== undefined ? { clusterScope: a.clusterScope } : {}),
        },
      ],
      ...(a.args !== undefined ? { args: a.args.map((arg) => withTemplateValues(d, arg, sets)) } : {}),
    };
    const phase = d.ensureRun(run, 'step', analysis, s.currentRevision, sets);
    phases.push({ name: run, phase, required: a.requiredForCompletion === true });
  }
  const failed = phases.find((p) => p.phase === 'Failed' || p.phase === 'Error');
  if (failed) {
    delete s.experiment;
    abortForAnalysis(d, `Experiment ${name} AnalysisRun`, failed.name, failed.phase);
    return false;
  }
  const acknowledged = (run: string): boolean =>
    s.analysisRuns.find((r) => r.name === run)?.acknowledged === true;
  const inconclusive = phases.find((p) => p.phase === 'Inconclusive' && !acknowledged(p.name));
  if (inconclusive) {
    d.addPause('InconclusiveAnalysisRun', `AnalysisRun ${inconclusive.name} is Inconclusive`);
    return false;
  }
  const required = phases.filter((p) => p.required);
  const requiredDone =
    required.length > 0 && required.every((p) => p.phase === 'Successful' || acknowledged(p.name));
  const elapsed =
    step.duration !== undefined && d.now >= s.experiment.availableAt + durationToMs(step.duration);
  if (!requiredDone && !elapsed) return false;
  delete s.experiment;
  d.event(
    'Normal',
    'ExperimentCompleted',
    `Experiment ${name} completed (${requiredDone ? 'required analyses Successful' : `duration ${step.duration} passed`})`,
  );
  return true;
}

/**
 * Keeps the experiment of step `index` running: its replica sets scaled, and each ready one routed
 * its weight (traffic only once a set is ready, as a canary weight). Idempotent within a reconcile;
 * also called while the rollout is paused on the step, so a pause does not tear the experiment down.
 * @returns the experiment's name, its sets by template name, and whether every set is ready and
 *   observed routed.
 */
export function holdExperiment(
  d: Decision,
  step: RolloutExperimentStep,
  index: number,
): { name: string; sets: Record<string, ExperimentSetRef>; available: boolean } {
  const s = d.status;
  const port = d.state.spec.port;
  const name = runName(d, `s${index}`);
  if (s.experiment !== undefined && s.experiment.name !== name) delete s.experiment;
  const sets: Record<string, ExperimentSetRef> = {};
  let available = true;
  for (const t of step.templates) {
    const revision = t.specRef === 'stable' ? s.stableRevision! : s.currentRevision;
    const ref = { revision, set: setName(name, t.name) };
    sets[t.name] = ref;
    const replicas = t.replicas ?? DEFAULT_EXPERIMENT_REPLICAS;
    d.scaleSet(ref, replicas);
    if (d.readySet(ref.set) < replicas) {
      available = false;
      continue;
    }
    const weight = t.weight ?? 0;
    d.routeSet(port, ref, weight);
    if (d.observedSetWeight(port, ref.set) !== weight) available = false;
  }
  return { name, sets, available };
}

/** `{{templates.<name>.<field>}}` in an experiment analysis's arg value. */
const TEMPLATE_PLACEHOLDER = /\{\{\s*templates\.([a-z0-9-]+)\.(set|revision|podTemplateHash)\s*\}\}/g;

/**
 * An arg whose `value` has its `{{templates.<name>.set}}`, `.revision` and `.podTemplateHash`
 * placeholders replaced by the experiment's replica set of that template (as Argo Rollouts fills
 * `{{templates.<name>.podTemplateHash}}` in an experiment's analysis args). Unknown templates are
 * left as written, so the analysis reports them. Pure.
 */
function withTemplateValues(
  d: Decision,
  arg: AnalysisArg,
  sets: Record<string, ExperimentSetRef>,
): AnalysisArg {
  if (arg.value === undefined) return arg;
  const value = arg.value.replace(TEMPLATE_PLACEHOLDER, (whole, name: string, field: string) => {
    const ref = sets[name];
    if (ref === undefined) return whole;
    if (field === 'set') return ref.set;
    if (field === 'revision') return String(ref.revision);
    return d.state.revisions.find((r) => r.number === ref.revision)?.hash ?? whole;
  });
  return { ...arg, value };
}

function describe(step: RolloutExperimentStep): string {
  return step.templates
    .map(
      (t) =>
        `${t.name} (${t.specRef}, ${t.replicas ?? DEFAULT_EXPERIMENT_REPLICAS} replicas, weight ${t.weight ?? 0}%)`,
    )
    .join(', ');
}
