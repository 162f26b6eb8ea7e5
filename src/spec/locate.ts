import { isNode, LineCounter, parseAllDocuments } from 'yaml';
import type { SpecIssue } from './errors.js';
import { formatPath } from './load.js';

/** A problem found after parsing (e.g. by checks against the machine), by document and field path. */
export interface PathIssue {
  /** Index of the resource among the input's non-empty documents (as `parseSpec` returns them). */
  document: number;
  path: (string | number)[];
  message: string;
}

/**
 * Gives issues found outside the schema (a port in use, a missing executable) the same file, line
 * and column as schema issues, by finding the node at each path; a path that does not exist in the
 * text (a defaulted field) is located at its nearest existing parent.
 * Pure.
 */
export function locateSpecIssues(text: string, file: string, issues: readonly PathIssue[]): SpecIssue[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter }).filter((d) => d.contents !== null);
  return issues.map((issue) => {
    const doc = docs[issue.document];
    let offset = doc?.range[0] ?? 0;
    for (let depth = issue.path.length; doc && depth > 0; depth--) {
      const node = doc.getIn(issue.path.slice(0, depth), true);
      if (isNode(node) && node.range) {
        offset = node.range[0];
        break;
      }
    }
    const { line, col } = lineCounter.linePos(offset);
    return {
      file,
      line: Math.max(line, 1),
      column: Math.max(col, 1),
      path: formatPath(issue.path),
      message: issue.message,
    };
  });
}

/**
 * The value at `path` of the input's `document`-th non-empty document (numbered as
 * {@link PathIssue.document}), as written (before normalisation: an `env` list stays a list), or
 * undefined. Pure.
 */
export function specValueAt(text: string, document: number, path: readonly (string | number)[]): unknown {
  const doc = parseAllDocuments(text).filter((d) => d.contents !== null)[document];
  const node = doc?.getIn(path, true);
  return isNode(node) ? node.toJSON() : node;
}
