import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadSpecFile,
  loadSpecFiles,
  parseSpec,
  SpecFileError,
  type SpecIssue,
  SpecValidationError,
  SpecYamlError,
} from './index.js';

/** The example of the spec reference: a blue-green Rollout and an AnalysisTemplate. */
const EXAMPLE = `apiVersion: cutover.dev/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: 2
  port: 8080
  template:
    command: ["python3", "-m", "http.server", "$(PORT)"]
    cwd: ./v1
    env: {GREETING: hello}
    readinessProbe: {httpGet: {path: /}, periodSeconds: 1, failureThreshold: 3}
    livenessProbe: {httpGet: {path: /}, periodSeconds: 5, failureThreshold: 3}
    terminationGracePeriodSeconds: 10
  strategy:
    blueGreen: {previewPort: 8081, autoPromotionEnabled: false}
---
apiVersion: cutover.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: error-rate}
spec:
  args: [{name: window, value: 10s}]
  metrics:
  - name: error-rate
    interval: 1s
    failureLimit: 0
    successCondition: "isNaN(result) || result < 0.05"
    provider:
      builtin: {metric: error-rate, revision: canary, window: "{{args.window}}"}
`;

/** A canary Rollout; line numbers below are those of this text. */
const CANARY = `apiVersion: cutover.dev/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  port: 8080
  template:
    command: [node, server.js]
  strategy:
    canary:
      steps:
      - setWeight: 20
      - pause: {duration: 30s}
      - setWeight: 50
      - analysis:
          templates: [{templateName: error-rate}]
`;

const TEMPLATE = `apiVersion: cutover.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: error-rate}
spec:
  metrics:
  - name: error-rate
    successCondition: "result < 0.05"
    provider:
      builtin: {metric: error-rate}
`;

/** Replaces the one occurrence of `from` (so a typo in a test cannot silently change nothing). */
function edit(text: string, from: string, to: string): string {
  expect(text.split(from)).toHaveLength(2);
  return text.replace(from, to);
}

function issuesOf(
  text: string,
  file = 'web.yaml',
  knownTemplates = [{ name: 'error-rate', clusterScope: false }],
) {
  try {
    parseSpec(text, file, { knownTemplates });
  } catch (error) {
    expect(error).toBeInstanceOf(SpecValidationError);
    return (error as SpecValidationError).issues;
  }
  throw new Error('expected the spec to be rejected');
}

function only(issues: readonly SpecIssue[]): SpecIssue {
  expect(issues).toHaveLength(1);
  return issues[0] as SpecIssue;
}

describe('parseSpec', () => {
  it('should parse the reference example into a Rollout and an AnalysisTemplate, as written', () => {
    const [rollout, template, ...rest] = parseSpec(EXAMPLE, 'web.yaml');
    expect(rest).toEqual([]);
    expect(rollout).toMatchObject({
      kind: 'Rollout',
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        port: 8080,
        strategy: { blueGreen: { previewPort: 8081, autoPromotionEnabled: false } },
      },
    });
    expect(template).toMatchObject({
      kind: 'AnalysisTemplate',
      spec: { args: [{ name: 'window', value: '10s' }] },
    });
  });

  it('should parse a canary whose analysis step refers to a template of the same input', () => {
    const resources = parseSpec(`${CANARY}---\n${TEMPLATE}`, 'web.yaml');
    expect(resources.map((resource) => resource.kind)).toEqual(['Rollout', 'AnalysisTemplate']);
  });

  it('should skip empty documents and comments-only documents', () => {
    const resources = parseSpec(`---\n# nothing here\n---\n${TEMPLATE}---\n`, 'web.yaml');
    expect(resources).toHaveLength(1);
  });

  it('should reject an input without any document (an empty file used to apply nothing, silently)', () => {
    const issues = issuesOf('# only a comment\n');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: 'web.yaml', line: 1, column: 1 });
    expect(issues[0]?.message).toMatch(/no resources/);
  });

  it('should accept an Argo Rollouts AnalysisTemplate unchanged', () => {
    const argo = edit(TEMPLATE, 'cutover.dev/v1alpha1', 'argoproj.io/v1alpha1');
    expect(parseSpec(argo, 'analysis.yaml')[0]?.apiVersion).toBe('argoproj.io/v1alpha1');
  });

  it('should report invalid YAML with the parser line and column and code CUTOVER_E_SPEC_YAML', () => {
    const text = edit(CANARY, '  port: 8080\n', '  port: 8080\n  port: 8081\n');
    let thrown: unknown;
    try {
      parseSpec(text, 'web.yaml');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SpecYamlError);
    expect((thrown as SpecYamlError).code).toBe('CUTOVER_E_SPEC_YAML');
    const issue = (thrown as SpecYamlError).issues[0];
    expect(issue).toMatchObject({ file: 'web.yaml', line: 7, column: 3, path: '' });
    expect(issue?.message).toBe('invalid YAML: Map keys must be unique');
  });

  it('should report the YAML errors of one document together with the schema errors of another', () => {
    const broken = edit(TEMPLATE, '"result < 0.05"', '"result < 0.05');
    let thrown: unknown;
    try {
      parseSpec(`${edit(CANARY, 'setWeight: 50', 'setWeight: 150')}---\n${broken}`, 'web.yaml');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SpecYamlError);
    const issues = (thrown as SpecYamlError).issues;
    expect(issues[0]?.path).toBe('spec.strategy.canary.steps[2].setWeight');
    expect(
      issues.slice(1).every((issue) => issue.message.startsWith('invalid YAML: ') && issue.line > 17),
    ).toBe(true);
  });

  it('should report an unknown field with its path, its line and a suggestion', () => {
    const text = edit(CANARY, '      steps:\n', '      stepz: []\n      steps:\n');
    const issue = only(issuesOf(text));
    expect(issue).toMatchObject({ line: 11, column: 7, path: 'spec.strategy.canary.stepz' });
    expect(issue.message).toContain('unknown field "stepz" (did you mean "steps"?)');
    expect(issue.expected).toContain('steps, analysis');
  });

  it('should report a condition that does not compile at the condition', () => {
    const text = edit(TEMPLATE, '"result < 0.05"', '"result <="');
    const issue = only(issuesOf(text, 'analysis.yaml'));
    expect(issue).toMatchObject({
      file: 'analysis.yaml',
      line: 7,
      column: 5,
      path: 'spec.metrics[0].successCondition',
    });
    expect(issue.message).toMatch(/^invalid expression: .*column 10/);
  });

  it('should report a missing command at the template key', () => {
    const text = edit(CANARY, '    command: [node, server.js]\n', '    cwd: ./v1\n');
    const issue = only(issuesOf(text));
    expect(issue).toMatchObject({ line: 7, column: 3, path: 'spec.template.command' });
    expect(issue.message).toMatch(
      /^required field is missing; expected a non-empty list of non-empty strings/,
    );
  });

  it('should report a weight out of range as expected vs got, at the setWeight key', () => {
    const text = edit(CANARY, 'setWeight: 50', 'setWeight: 150');
    const issue = only(issuesOf(text));
    expect(issue).toMatchObject({
      line: 14,
      column: 9,
      path: 'spec.strategy.canary.steps[2].setWeight',
      message: 'expected an integer 0..100, got 150',
      expected: 'an integer 0..100',
    });
  });

  it('should report two strategies on the strategy key', () => {
    const text = edit(CANARY, '  strategy:\n', '  strategy:\n    recreate: {}\n');
    const issue = only(issuesOf(text));
    expect(issue).toMatchObject({ line: 9, column: 3, path: 'spec.strategy' });
    expect(issue.message).toBe(
      'a strategy must have exactly one of canary, blueGreen, rolling, recreate, got canary and recreate',
    );
  });

  it('should accept progressDeadlineAbort (as Argo) and report a non-boolean at its key', () => {
    const withAbort = (value: string) =>
      edit(CANARY, '  port: 8080\n', `  port: 8080\n  progressDeadlineAbort: ${value}\n`);
    const [rollout] = parseSpec(`${withAbort('true')}---\n${TEMPLATE}`, 'web.yaml');
    expect(rollout).toMatchObject({ kind: 'Rollout', spec: { progressDeadlineAbort: true } });
    expect(only(issuesOf(withAbort('yes')))).toMatchObject({
      line: 7,
      path: 'spec.progressDeadlineAbort',
      message: 'expected true or false, got "yes"',
    });
  });

  it('should report a templateName that is neither in the input nor known', () => {
    const issue = only(issuesOf(CANARY, 'web.yaml', []));
    expect(issue).toMatchObject({
      line: 16,
      column: 24,
      path: 'spec.strategy.canary.steps[3].analysis.templates[0].templateName',
    });
    expect(issue.message).toBe(
      'unknown AnalysisTemplate "error-rate": not in this apply and not applied before',
    );
  });

  it('should resolve the templateName of an experiment step analysis', () => {
    const text = edit(
      CANARY,
      '      - analysis:\n          templates: [{templateName: error-rate}]\n',
      '      - experiment:\n          templates: [{name: baseline, specRef: stable}]\n          analyses: [{name: a, templateName: nope}]\n',
    );
    const issue = only(issuesOf(text));
    expect(issue.path).toBe('spec.strategy.canary.steps[3].experiment.analyses[0].templateName');
    expect(issue.message).toContain('unknown AnalysisTemplate "nope"');
  });

  it('should resolve clusterScope: true against ClusterAnalysisTemplates only', () => {
    const scoped = edit(
      CANARY,
      '{templateName: error-rate}',
      '{templateName: error-rate, clusterScope: true}',
    );
    expect(only(issuesOf(scoped)).message).toContain(
      'an AnalysisTemplate of that name exists: remove clusterScope',
    );
    expect(
      parseSpec(scoped, 'web.yaml', { knownTemplates: [{ name: 'error-rate', clusterScope: true }] }),
    ).toHaveLength(1);
    const cluster = edit(TEMPLATE, 'kind: AnalysisTemplate', 'kind: ClusterAnalysisTemplate');
    expect(parseSpec(`${scoped}---\n${cluster}`, 'web.yaml')).toHaveLength(2);
  });

  it('should report a bad pause duration', () => {
    const text = edit(CANARY, '{duration: 30s}', '{duration: 30sec}');
    const issue = only(issuesOf(text));
    expect(issue).toMatchObject({
      line: 13,
      column: 17,
      path: 'spec.strategy.canary.steps[1].pause.duration',
    });
    expect(issue.message).toMatch(/^expected a duration: .*, got "30sec"$/);
  });

  it('should report every problem of every document together, sorted by line, one per message line', () => {
    const rollout = edit(edit(CANARY, 'setWeight: 50', 'setWeight: 150'), 'name: web', 'name: Web');
    const template = edit(TEMPLATE, '"result < 0.05"', '"result <="');
    let thrown: unknown;
    try {
      parseSpec(`${rollout}---\n${template}`, 'web.yaml');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SpecValidationError);
    expect((thrown as SpecValidationError).code).toBe('CUTOVER_E_SPEC_INVALID');
    const lines = (thrown as Error).message.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^web\.yaml:4:3 metadata\.name: expected a DNS-1123 label/);
    expect(lines[1]).toBe(
      'web.yaml:14:9 spec.strategy.canary.steps[2].setWeight: expected an integer 0..100, got 150',
    );
    expect(lines[2]).toMatch(/^web\.yaml:24:5 spec\.metrics\[0\]\.successCondition: invalid expression/);
  });

  it('should report a duplicate name of the same kind, pointing at the first definition', () => {
    const issue = only(issuesOf(`${TEMPLATE}---\n${TEMPLATE}`));
    expect(issue).toMatchObject({ line: 13, column: 12, path: 'metadata.name' });
    expect(issue.message).toBe('duplicate AnalysisTemplate "error-rate"; first defined at web.yaml:3:12');
  });

  it('should report an unknown kind naming the supported kinds, and nothing else of that document', () => {
    const issue = only(issuesOf('apiVersion: v1\nkind: Deployment\nspec: {foo: 1}\n'));
    expect(issue).toMatchObject({ line: 2, column: 1, path: 'kind' });
    expect(issue.message).toBe(
      'unknown kind "Deployment"; expected one of Rollout, AnalysisTemplate, ClusterAnalysisTemplate, ConfigMap, Secret, Environment, Release, FeatureFlags',
    );
  });

  it('should report a template arg that no Rollout passes', () => {
    const template = edit(TEMPLATE, 'spec:\n', 'spec:\n  args: [{name: service}]\n');
    const issue = only(issuesOf(`${CANARY}---\n${template}`));
    expect(issue.path).toBe('spec.strategy.canary.steps[3].analysis.args');
    expect(issue.message).toContain('requires arg "service"');
  });
});

describe('loadSpecFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cutover-spec-'));
    await writeFile(join(dir, 'web.yaml'), EXAMPLE);
    await writeFile(join(dir, 'canary.yaml'), CANARY);
    await writeFile(join(dir, 'analysis.yaml'), TEMPLATE);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should return the absolute file and its resources', async () => {
    const loaded = await loadSpecFile(join(dir, 'web.yaml'));
    expect(loaded.file).toBe(join(dir, 'web.yaml'));
    expect(loaded.resources.map((resource) => resource.metadata.name)).toEqual(['web', 'error-rate']);
  });

  it('should throw SpecFileError naming a missing file', async () => {
    const missing = join(dir, 'missing.yaml');
    const error = await loadSpecFile(missing).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(SpecFileError);
    expect(error).toMatchObject({ code: 'CUTOVER_E_SPEC_FILE', file: missing });
    expect((error as Error).message).toContain(missing);
    expect((error as Error).cause).toMatchObject({ code: 'ENOENT' });
  });

  it('should resolve a templateName across the files of one apply', async () => {
    const loaded = await loadSpecFiles([join(dir, 'canary.yaml'), join(dir, 'analysis.yaml')]);
    expect(loaded.map((spec) => spec.resources.length)).toEqual([1, 1]);
    const alone = await loadSpecFiles([join(dir, 'canary.yaml')]).catch((thrown: unknown) => thrown);
    expect(alone).toBeInstanceOf(SpecValidationError);
  });
});
