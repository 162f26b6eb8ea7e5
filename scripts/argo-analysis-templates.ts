/**
 * Measures how many of Argo Rollouts' own AnalysisTemplates cutover accepts unchanged: every
 * AnalysisTemplate and ClusterAnalysisTemplate document of its `examples/` and `test/e2e/` (YAML
 * files, and the YAML held in the Go e2e tests' raw strings), each validated alone by the spec
 * loader as `cutover apply` does. Reads a git directory of Argo Rollouts (a bare clone); copies
 * nothing out of it.
 *
 * Usage: node --import tsx scripts/argo-analysis-templates.ts GIT_DIR [-v]
 */
import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { METRIC_PROVIDERS, parseSpec, SpecValidationError } from '../src/spec/index.js';

const [gitDir, verbose] = process.argv.slice(2);
if (gitDir === undefined) {
  console.error('usage: argo-analysis-templates.ts GIT_DIR [-v]');
  process.exit(2);
}
const git = (...args: string[]): string =>
  execFileSync('git', [`--git-dir=${gitDir}`, ...args], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });

const KIND = /^kind:\s*(Cluster)?AnalysisTemplate\s*$/m;
/** YAML documents of a file: a YAML file's own, or those of a Go file's raw strings. */
function documents(path: string, text: string): string[] {
  const sources = path.endsWith('.go') ? [...text.matchAll(/`([^`]*)`/g)].map((m) => m[1] ?? '') : [text];
  return sources.flatMap((source) =>
    KIND.test(source) ? parseAllDocuments(source).map((doc) => doc.toString()) : [],
  );
}

/** Why cutover refuses a template, from its issues' paths. */
function classify(error: SpecValidationError): string {
  const providers = error.issues.flatMap((i) => /\.provider\.(\w+)$/.exec(i.path)?.[1] ?? []);
  const missing = providers.filter((p) => !(METRIC_PROVIDERS as readonly string[]).includes(p));
  if (missing.length > 0) return `provider not implemented (${[...new Set(missing)].join(', ')})`;
  if (error.issues.some((i) => i.path.includes('.provider.job'))) return 'job metric';
  if (error.issues.some((i) => i.path.startsWith('metadata.'))) return 'metadata';
  return 'other';
}

const commit = git('rev-parse', 'HEAD').trim();
const files = git('ls-tree', '-r', '--name-only', 'HEAD', '--', 'examples', 'test/e2e')
  .split('\n')
  .filter((f) => /\.(ya?ml|go)$/.test(f));
const counts = new Map<string, number>();
let total = 0;
for (const file of files) {
  const text = git('show', `HEAD:${file}`);
  if (!/kind:\s*(Cluster)?AnalysisTemplate/.test(text)) continue;
  for (const doc of documents(file, text)) {
    if (!KIND.test(doc)) continue;
    total += 1;
    let outcome = 'accepted';
    let detail = '';
    try {
      parseSpec(doc, file);
    } catch (error) {
      if (!(error instanceof SpecValidationError)) throw error;
      outcome = `refused: ${classify(error)}`;
      detail = error.issues.map((i) => `${i.path}: ${i.message}`).join('\n    ');
    }
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    const name = /^\s*name:\s*(\S+)/m.exec(doc.slice(doc.indexOf('metadata:')))?.[1] ?? '?';
    if (verbose === '-v')
      console.log(`${outcome.padEnd(36)} ${file} ${name}${detail ? `\n    ${detail}` : ''}`);
  }
}
console.log(`argo-rollouts ${commit}: ${total} AnalysisTemplates`);
for (const [outcome, n] of [...counts].sort()) console.log(`  ${outcome}: ${n}`);
