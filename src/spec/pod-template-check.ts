/**
 * The structural check of a Kubernetes pod spec inside an Argo Rollout: every key a field of
 * Kubernetes' core/v1 type at that place, every scalar of its type. cutover does not interpret the
 * pod (the kubernetes platform hands it to a ReplicaSet), but a misspelt field would be dropped by
 * Kubernetes without a word, so it is refused here as in the rest of the spec.
 */
import { type GoFieldType, goFields } from './pod-spec-fields.js';
import { isQuantity } from './quantity.js';

type Path = (string | number)[];

/** One problem of a pod spec, by path from the spec. */
export interface PodSpecIssue {
  path: Path;
  message: string;
  expected: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const SCALAR_EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  int: 'an integer',
  bool: 'true or false',
  Quantity: 'a quantity such as 250m, 1.5 or 128Mi',
  IntOrString: 'an integer or a string',
};

function scalarOk(value: unknown, base: string): boolean {
  switch (base) {
    case 'string':
      return typeof value === 'string';
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'bool':
      return typeof value === 'boolean';
    case 'Quantity':
      return isQuantity(value);
    default:
      return (typeof value === 'number' && Number.isSafeInteger(value)) || typeof value === 'string';
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a mapping';
  return JSON.stringify(value) ?? String(value);
}

function checkValue(value: unknown, base: string, path: Path, issues: PodSpecIssue[]): void {
  if (value === null) return;
  if (goFields(base) !== undefined) {
    checkStruct(value, base, path, issues);
  } else if (!scalarOk(value, base)) {
    const expected = SCALAR_EXPECTED[base] ?? 'a value';
    issues.push({ path, message: `expected ${expected}, got ${describe(value)}`, expected });
  }
}

function checkField(value: unknown, type: GoFieldType, path: Path, issues: PodSpecIssue[]): void {
  if (value === null || value === undefined) return;
  if (type.list) {
    if (!Array.isArray(value)) {
      issues.push({ path, message: `expected a list, got ${describe(value)}`, expected: 'a list' });
      return;
    }
    value.forEach((item, index) => {
      checkValue(item, type.base, [...path, index], issues);
    });
  } else if (type.map) {
    if (!isRecord(value)) {
      issues.push({ path, message: `expected a mapping, got ${describe(value)}`, expected: 'a mapping' });
      return;
    }
    for (const [key, item] of Object.entries(value)) checkValue(item, type.base, [...path, key], issues);
  } else {
    checkValue(value, type.base, path, issues);
  }
}

function checkStruct(value: unknown, name: string, path: Path, issues: PodSpecIssue[]): void {
  const fields = goFields(name) ?? [];
  if (!isRecord(value)) {
    issues.push({ path, message: `expected a mapping, got ${describe(value)}`, expected: 'a mapping' });
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const field = fields.find((f) => f.json === key);
    if (field === undefined) {
      const expected = `a field of Kubernetes' ${name.replace(/^metav1\./, '')}`;
      issues.push({
        path: [...path, key],
        message: `unknown field ${JSON.stringify(key)}; expected ${expected}`,
        expected,
      });
    } else {
      checkField(item, field.type, [...path, key], issues);
    }
  }
}

/**
 * Checks a pod template's `spec` against Kubernetes' PodSpec: unknown fields and scalars of the
 * wrong type, with their paths from the spec. Pure; never throws.
 */
export function checkPodSpec(spec: unknown): PodSpecIssue[] {
  const issues: PodSpecIssue[] = [];
  checkStruct(spec, 'PodSpec', [], issues);
  return issues;
}
