/**
 * Rules that span documents: names are unique per kind (and per environment for ConfigMaps and
 * Secrets), every `templateName` resolves to an AnalysisTemplate (or, with `clusterScope: true`, a
 * ClusterAnalysisTemplate, as Argo Rollouts resolves them), and every required arg of a referenced
 * template is passed.
 *
 * They read the documents as parsed (not as validated), so a reference is checked even when the
 * Rollout holding it has other problems.
 */
import type { FieldIssue } from './validate-resource.js';

/** An AnalysisTemplate that exists outside the documents being validated (applied before). */
export interface KnownTemplate {
  name: string;
  /** `true` for a ClusterAnalysisTemplate, as Argo's `templateRef.clusterScope`. */
  clusterScope: boolean;
}

/** A field issue of one document of the input. */
export interface DocumentIssue {
  /** Index into the documents given to {@link checkReferences}. */
  document: number;
  issue: FieldIssue;
  /** Another place the issue is about (the first definition of a duplicate name). */
  related?: { document: number; path: (string | number)[] };
}

type Path = (string | number)[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof key === 'number') current = Array.isArray(current) ? current[key] : undefined;
    else current = isRecord(current) ? current[key] : undefined;
  }
  return current;
}

/** Where a Rollout holds RolloutAnalysis blocks (each with `templates` and `args`). */
function analysisBlocks(rollout: unknown): Path[] {
  const blocks: Path[] = [];
  const steps = at(rollout, 'spec', 'strategy', 'canary', 'steps');
  if (Array.isArray(steps)) {
    steps.forEach((step, index) => {
      if (isRecord(at(step, 'analysis')))
        blocks.push(['spec', 'strategy', 'canary', 'steps', index, 'analysis']);
    });
  }
  const candidates: Path[] = [
    ['spec', 'strategy', 'canary', 'analysis'],
    ['spec', 'strategy', 'blueGreen', 'prePromotionAnalysis'],
    ['spec', 'strategy', 'blueGreen', 'postPromotionAnalysis'],
  ];
  for (const path of candidates) if (isRecord(at(rollout, ...path))) blocks.push(path);
  return blocks;
}

/**
 * Every AnalysisTemplate reference of a Rollout with where its `args` are: the `templates` of each
 * RolloutAnalysis block, and each analysis of a canary `experiment` step (which is a reference
 * itself, with its own `args`).
 */
function templateRefs(rollout: unknown): { ref: Path; args: Path }[] {
  const refs: { ref: Path; args: Path }[] = [];
  for (const block of analysisBlocks(rollout)) {
    const list = at(rollout, ...block, 'templates');
    if (!Array.isArray(list)) continue;
    for (let i = 0; i < list.length; i++)
      refs.push({ ref: [...block, 'templates', i], args: [...block, 'args'] });
  }
  const steps = at(rollout, 'spec', 'strategy', 'canary', 'steps');
  if (Array.isArray(steps)) {
    steps.forEach((_, index) => {
      const base: Path = ['spec', 'strategy', 'canary', 'steps', index, 'experiment', 'analyses'];
      const analyses = at(rollout, ...base);
      if (!Array.isArray(analyses)) return;
      for (let i = 0; i < analyses.length; i++) refs.push({ ref: [...base, i], args: [...base, i, 'args'] });
    });
  }
  return refs;
}

const article = (kind: string) => (kind.startsWith('A') ? 'an' : 'a');
const templateKind = (clusterScope: boolean) =>
  clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate';

/**
 * Checks the cross-document rules over the parsed documents of one apply (all files together).
 *
 * Pure. Never throws for bad input: documents that are not even mappings are skipped (their own
 * validation reports them).
 *
 * @param documents - the `toJS()` of every document, in order
 * @param knownTemplates - templates that already exist (applied before)
 */
export function checkReferences(
  documents: readonly unknown[],
  knownTemplates: readonly KnownTemplate[] = [],
): DocumentIssue[] {
  const issues: DocumentIssue[] = [];
  const defined = new Map<string, { document: number; value: Record<string, unknown> }>();

  documents.forEach((value, document) => {
    const kind = at(value, 'kind');
    const name = at(value, 'metadata', 'name');
    if (typeof kind !== 'string' || typeof name !== 'string' || !isRecord(value)) return;
    // A ConfigMap or Secret of an environment is another resource than the one of every environment.
    const environment =
      kind === 'ConfigMap' || kind === 'Secret' ? at(value, 'metadata', 'environment') : undefined;
    const key = typeof environment === 'string' ? `${kind}/${name}@${environment}` : `${kind}/${name}`;
    const first = defined.get(key);
    if (first !== undefined) {
      issues.push({
        document,
        issue: {
          path: ['metadata', 'name'],
          message: `duplicate ${kind} ${JSON.stringify(name)}`,
          expected: 'a unique name',
        },
        related: { document: first.document, path: ['metadata', 'name'] },
      });
      return;
    }
    defined.set(key, { document, value });
  });

  const known = new Set(
    knownTemplates.map((template) => `${templateKind(template.clusterScope)}/${template.name}`),
  );
  documents.forEach((value, document) => {
    if (at(value, 'kind') !== 'Rollout') return;
    for (const { ref: refPath, args: argsPath } of templateRefs(value)) {
      const ref = at(value, ...refPath);
      const passed = new Set<unknown>();
      const args = at(value, ...argsPath);
      if (Array.isArray(args)) for (const arg of args) passed.add(at(arg, 'name'));
      const name = at(ref, 'templateName');
      if (typeof name !== 'string') continue;
      const clusterScope = at(ref, 'clusterScope') === true;
      const kind = templateKind(clusterScope);
      const path = [...refPath, 'templateName'];
      const local = defined.get(`${kind}/${name}`);
      if (local === undefined) {
        if (!known.has(`${kind}/${name}`))
          issues.push({ document, issue: unresolved(name, clusterScope, defined, known, path) });
        continue;
      }
      for (const required of requiredArgs(local.value)) {
        if (!passed.has(required)) {
          issues.push({
            document,
            issue: {
              path: argsPath,
              message: `${kind} ${JSON.stringify(name)} requires arg ${JSON.stringify(required)} (it has no value in the template); pass it in args`,
              expected: `an arg named ${required}`,
            },
          });
        }
      }
    }
  });
  return issues;
}

function unresolved(
  name: string,
  clusterScope: boolean,
  defined: ReadonlyMap<string, unknown>,
  known: ReadonlySet<string>,
  path: Path,
): FieldIssue {
  const kind = templateKind(clusterScope);
  const other = templateKind(!clusterScope);
  const exists = (key: string) => defined.has(key) || known.has(key);
  const hint = exists(`${other}/${name}`)
    ? `; ${article(other)} ${other} of that name exists: ${clusterScope ? 'remove clusterScope' : 'set clusterScope: true'}`
    : '';
  const names = [...defined.keys(), ...known]
    .filter((key) => key.startsWith(`${kind}/`))
    .map((key) => key.slice(kind.length + 1));
  const expected =
    names.length === 0
      ? `the name of ${article(kind)} ${kind}`
      : `the name of ${article(kind)} ${kind}: ${[...new Set(names)].join(', ')}`;
  return {
    path,
    message: `unknown ${kind} ${JSON.stringify(name)}: not in this apply and not applied before${hint}`,
    expected,
  };
}

/** Args of a template with neither `value` nor `valueFrom`: the Rollout must pass them (as Argo). */
function requiredArgs(template: unknown): string[] {
  const args = at(template, 'spec', 'args');
  if (!Array.isArray(args)) return [];
  return args
    .filter((arg) => at(arg, 'value') === undefined && at(arg, 'valueFrom') === undefined)
    .map((arg) => at(arg, 'name'))
    .filter((name): name is string => typeof name === 'string');
}
