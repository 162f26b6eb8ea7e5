import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseSpec } from './index.js';

const ROOT = join(import.meta.dirname, '..', '..', 'examples');

/** Every YAML file under examples/, as the README and the docs tell users to apply them. */
function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

describe('examples', () => {
  const files = yamlFiles(ROOT);
  // The AnalysisTemplates every example may name (a user applies them first, as each README says).
  const knownTemplates = files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split(/^---$/m)
      .map((doc) => parse(doc) as { kind?: string; metadata?: { name?: string } } | null)
      .filter((d) => d?.kind === 'AnalysisTemplate' || d?.kind === 'ClusterAnalysisTemplate')
      .map((d) => ({ name: d!.metadata!.name!, clusterScope: d!.kind === 'ClusterAnalysisTemplate' })),
  );

  it.each(files.map((f) => [relative(ROOT, f), f]))('%s should be a valid spec', (_name, file) => {
    expect(() => parseSpec(readFileSync(file, 'utf8'), file, { knownTemplates })).not.toThrow();
  });

  it("should carry the seed's mesh as one plan", () => {
    const file = join(ROOT, 'agent-mesh', 'mesh-v1.yaml');
    const [release] = parseSpec(readFileSync(file, 'utf8'), file, { knownTemplates });
    expect(release?.kind).toBe('Release');
    const spec = (release as { spec: { plan: object; rollouts: { name: string; dependsOn?: string[] }[] } })
      .spec;
    expect(spec.plan).toMatchObject({ maxParallelism: 1, minHealthy: 2, quorum: 2 });
    expect(spec.rollouts.map((r) => [r.name, r.dependsOn ?? []])).toEqual([
      ['mca', []],
      ['npa', ['mca']],
      ['wpa', ['mca', 'npa']],
    ]);
  });
});
