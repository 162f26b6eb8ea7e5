/**
 * Reading spec files: YAML (several documents per file) to validated Resources. An input is
 * validated whole: every problem of every document is collected and thrown as one
 * {@link SpecValidationError}, so a file with any error applies nothing (cutover's invariant "a
 * rejected input leaves the system exactly as it was").
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { ArgoRollout } from './argo-rollout-types.js';
import { SpecFileError, type SpecIssue, SpecValidationError, SpecYamlError } from './errors.js';
import { checkReferences, type KnownTemplate } from './references.js';
import { ARGO_API_VERSION, type Resource } from './types.js';
import { type FieldIssue, validateArgoRollout, validateResource } from './validate-resource.js';

/** Options of {@link parseSpec} and {@link loadSpecFile}. */
export interface ParseSpecOptions {
  /**
   * AnalysisTemplates that already exist (applied before), so a Rollout may reference a template
   * that is not in this input. `clusterScope: true` entries are ClusterAnalysisTemplates.
   * @default []
   */
  knownTemplates?: readonly KnownTemplate[];
}

/** One spec input: its text and the name used for it in messages. */
export interface SpecSource {
  /** YAML (or JSON, which is YAML) text; several documents separated by `---`. */
  text: string;
  /** How messages name the input: the path as the user wrote it, or a label such as `request body`. */
  file: string;
}

/** A spec file read and validated by {@link loadSpecFile}. */
export interface LoadedSpec {
  /** Absolute path of the file; its directory is the base of relative template `cwd`s (`resolveTemplate`). */
  file: string;
  /** The file's resources in document order. */
  resources: Resource[];
}

/** Aliases may repeat a node at most this many times, so a "billion laughs" document cannot blow up memory. */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses and validates the YAML text of one spec file.
 *
 * Pure (no I/O). Empty documents are skipped. Each document's `kind` is checked first (an unknown
 * kind is its only issue), then its `apiVersion` and schema; then names must be unique per kind and
 * every `templateName` must resolve to an AnalysisTemplate of this input or of
 * `options.knownTemplates`.
 *
 * @param file - name used in messages (the path as the user wrote it)
 * @returns the resources in document order, typed as validated (defaults not applied)
 * @throws SpecYamlError (`CUTOVER_E_SPEC_YAML`) when the text is not valid YAML, with the parser's
 *   line and column (issues of the other documents included)
 * @throws SpecValidationError (`CUTOVER_E_SPEC_INVALID`) holding every issue of every document
 * @example parseSpec(text, 'web.yaml') // [{ apiVersion: 'cutover.dev/v1alpha1', kind: 'Rollout', ... }]
 */
export function parseSpec(text: string, file: string, options?: ParseSpecOptions): Resource[] {
  return parseSpecs([{ text, file }], options)[0] ?? [];
}

/**
 * Parses and validates several spec inputs as one apply (`apply -f a.yaml -f b.yaml`): a Rollout
 * in one may reference an AnalysisTemplate in another, names are unique across all of them, and
 * the problems of all of them are thrown together.
 *
 * Pure (no I/O).
 *
 * @returns for each source, its resources in document order
 * @throws SpecYamlError | SpecValidationError as {@link parseSpec}
 */
export function parseSpecs(sources: readonly SpecSource[], options?: ParseSpecOptions): Resource[][] {
  return parseDocuments(sources, validateResource, options);
}

/**
 * Validates spec inputs as the kubernetes platform reads them (issue 15): an Argo Rollout
 * (`argoproj.io/v1alpha1`) is validated as Argo's (`validateArgoRollout`) and returned, every other
 * document as {@link parseSpecs} does; cross-document rules (unique names, templateName references,
 * required args) as {@link parseSpecs}. This is how a user's Argo manifests are checked before that
 * platform runs them (`cutover apply` on the local platform refuses an Argo Rollout).
 *
 * Pure (no I/O).
 *
 * @returns for each source, its documents in order
 * @throws SpecYamlError | SpecValidationError as {@link parseSpec}
 * @example parseKubernetesSpecs([{ text, file: 'npa.yaml' }]) // [[{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', ... }, ...]]
 */
export function parseKubernetesSpecs(
  sources: readonly SpecSource[],
  options?: ParseSpecOptions,
): (Resource | ArgoRollout)[][] {
  return parseDocuments(sources, validateKubernetesResource, options);
}

function validateKubernetesResource(
  value: unknown,
): { ok: true; resource: Resource | ArgoRollout } | { ok: false; issues: FieldIssue[] } {
  const argo =
    typeof value === 'object' &&
    value !== null &&
    (value as Record<string, unknown>)['kind'] === 'Rollout' &&
    (value as Record<string, unknown>)['apiVersion'] === ARGO_API_VERSION;
  if (!argo) return validateResource(value);
  const result = validateArgoRollout(value);
  return result.ok ? { ok: true, resource: result.rollout } : result;
}

function parseDocuments<T>(
  sources: readonly SpecSource[],
  validate: (value: unknown) => { ok: true; resource: T } | { ok: false; issues: FieldIssue[] },
  options?: ParseSpecOptions,
): T[][] {
  const issues: SpecIssue[] = [];
  let yamlInvalid = false;
  const parsed: ParsedDocument<T>[] = [];

  for (const [sourceIndex, source] of sources.entries()) {
    const lineCounter = new LineCounter();
    const locate = (offset: number) => {
      const { line, col } = lineCounter.linePos(offset);
      return { line: Math.max(line, 1), column: Math.max(col, 1) };
    };
    for (const doc of parseAllDocuments(source.text, { lineCounter, prettyErrors: false })) {
      if (doc.errors.length > 0) {
        yamlInvalid = true;
        for (const error of doc.errors) {
          issues.push({
            file: source.file,
            ...locate(error.pos[0]),
            path: '',
            message: `invalid YAML: ${error.message}`,
          });
        }
        continue;
      }
      // `---` followed by nothing (or only comments) is an empty document, not a null resource.
      if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      } catch (error) {
        // Excessive aliasing is the only way a syntactically valid document fails to convert.
        yamlInvalid = true;
        const message = error instanceof Error ? error.message : String(error);
        issues.push({
          file: source.file,
          ...locate(doc.range[0]),
          path: '',
          message: `invalid YAML: ${message}`,
        });
        continue;
      }
      parsed.push({ source, sourceIndex, doc, locate, value, resource: undefined });
    }
  }

  // As `kubectl apply`: an input without any document is a mistake (the wrong file, a truncated write).
  for (const [sourceIndex, source] of sources.entries()) {
    const hasIssue = issues.some((i) => i.file === source.file);
    if (!hasIssue && !parsed.some((entry) => entry.sourceIndex === sourceIndex)) {
      issues.push({
        file: source.file,
        line: 1,
        column: 1,
        path: '',
        message: 'no resources: expected at least one YAML document (a Rollout or an AnalysisTemplate)',
        expected: 'at least one resource',
      });
    }
  }

  for (const entry of parsed) {
    const result = validate(entry.value);
    if (result.ok) entry.resource = result.resource;
    else for (const issue of result.issues) issues.push(toSpecIssue(entry, issue));
  }
  // With a document lost to a YAML error, a template it defines would be reported as unknown.
  const crossDocument = yamlInvalid
    ? []
    : checkReferences(
        parsed.map((entry) => entry.value),
        options?.knownTemplates,
      );
  for (const { document, issue, related } of crossDocument) {
    const entry = parsed[document];
    if (entry === undefined) continue;
    const specIssue = toSpecIssue(entry, issue);
    const other = related === undefined ? undefined : parsed[related.document];
    if (related !== undefined && other !== undefined) {
      const first = toSpecIssue(other, { path: related.path, message: '' });
      issues.push({
        ...specIssue,
        message: `${specIssue.message}; first defined at ${first.file}:${first.line}:${first.column}`,
      });
    } else {
      issues.push(specIssue);
    }
  }

  if (issues.length > 0) throw yamlInvalid ? new SpecYamlError(issues) : new SpecValidationError(issues);
  return sources.map((_source, index) =>
    parsed.flatMap((entry) =>
      entry.sourceIndex === index && entry.resource !== undefined ? [entry.resource] : [],
    ),
  );
}

/**
 * Reads and validates one spec file.
 *
 * @param path - as the user wrote it; messages name the file this way
 * @returns the absolute path (base of relative template `cwd`s) and the resources
 * @throws SpecFileError (`CUTOVER_E_SPEC_FILE`) when the file cannot be read (missing, a directory,
 *   no permission); the `fs` error is the `cause`
 * @throws SpecYamlError | SpecValidationError as {@link parseSpec}
 * @example const { file, resources } = await loadSpecFile('examples/web.yaml')
 */
export async function loadSpecFile(path: string, options?: ParseSpecOptions): Promise<LoadedSpec> {
  const [loaded] = await loadSpecFiles([path], options);
  return loaded as LoadedSpec;
}

/**
 * Reads and validates several spec files as one apply (see {@link parseSpecs}): nothing is
 * returned unless every file is valid.
 *
 * @throws SpecFileError for the first file that cannot be read
 * @throws SpecYamlError | SpecValidationError with the issues of all files
 */
export async function loadSpecFiles(
  paths: readonly string[],
  options?: ParseSpecOptions,
): Promise<LoadedSpec[]> {
  const sources = await Promise.all(
    paths.map(async (path) => ({ text: await readSpecFile(path), file: path })),
  );
  const resources = parseSpecs(sources, options);
  return paths.map((path, index) => ({ file: resolve(path), resources: resources[index] ?? [] }));
}

async function readSpecFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : error instanceof Error
              ? error.message
              : String(error);
    throw new SpecFileError(path, reason, { cause: error });
  }
}

interface ParsedDocument<T = unknown> {
  source: SpecSource;
  sourceIndex: number;
  doc: Document.Parsed;
  locate: (offset: number) => { line: number; column: number };
  value: unknown;
  resource: T | undefined;
}

function toSpecIssue(entry: ParsedDocument<unknown>, issue: FieldIssue): SpecIssue {
  const position = entry.locate(offsetOf(entry.doc, issue.path));
  const located = {
    file: entry.source.file,
    ...position,
    path: formatPath(issue.path),
    message: issue.message,
  };
  return issue.expected === undefined ? located : { ...located, expected: issue.expected };
}

/**
 * Offset of the node a path names: the key of the last mapping entry on the path (so `setWeight:`
 * is pointed at, not `150`), the item of a list, or, when the path leads to a field that is
 * missing, the nearest enclosing key that exists.
 */
function offsetOf(doc: Document.Parsed, path: readonly (string | number)[]): number {
  let node: unknown = doc.contents;
  let offset = doc.contents?.range[0] ?? doc.range[0];
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (pair === undefined) break;
      offset = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      offset = (isScalar(item) || isMap(item) || isSeq(item) ? item.range?.[0] : undefined) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/**
 * A field path as written in messages: `spec.strategy.canary.steps[1].setWeight`; keys that are not
 * identifiers are quoted (`spec.template.env["my.var"]`).
 */
export function formatPath(path: readonly (string | number)[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}
