import type { KindInfo, ModelError } from './kinds.js';

/** A `kind: Status` failure body, as the API server sends with every error (metav1.Status). */
export type KubeStatus = {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason: string; message: string; field: string }[];
  };
  code: number;
};

/** The Status reasons the simulated server answers with, and their HTTP codes (as apimachinery's `StatusReason`). */
export const STATUS_CODES = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Invalid: 422,
  BadRequest: 400,
  MethodNotAllowed: 405,
  UnsupportedMediaType: 415,
  Expired: 410,
} as const;

/** A Status body: `reason` with its code, the message, and optional details. */
export function status(
  reason: keyof typeof STATUS_CODES,
  message: string,
  details?: KubeStatus['details'],
): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details === undefined ? {} : { details }),
    code: STATUS_CODES[reason],
  };
}

/** `replicasets.apps` / `services`: how the API server names a resource in its messages. */
export function qualifiedResource(info: Pick<KindInfo, 'group' | 'plural'>): string {
  return info.group === '' ? info.plural : `${info.plural}.${info.group}`;
}

/** 404 `replicasets.apps "web" not found`. */
export function notFound(info: KindInfo, name: string): KubeStatus {
  return status('NotFound', `${qualifiedResource(info)} "${name}" not found`, {
    name,
    group: info.group,
    kind: info.plural,
  });
}

/** `/spec/ports/0/port` -> `spec.ports[0].port`: the field path as the API server writes it. */
function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce(
      (path, token) => (/^\d+$/.test(token) ? `${path}[${token}]` : path === '' ? token : `${path}.${token}`),
      '',
    );
}

/**
 * 422 Invalid from a model's validation errors: `Service "web" is invalid: spec.ports[0].port: Invalid value: must be integer`,
 * one `details.causes` entry (`FieldValueInvalid`) per error, as the API server's schema validation reports.
 */
export function invalid(info: KindInfo, name: string, errors: readonly ModelError[]): KubeStatus {
  const causes = errors.map((e) => ({
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${e.message ?? 'invalid'}`,
    field: fieldPath(e.instancePath),
  }));
  const listed = causes.map((c) => `${c.field || '<root>'}: ${c.message}`);
  const kindName = info.group === '' ? info.kind : `${info.kind}.${info.group}`;
  const message = `${kindName} "${name}" is invalid: ${listed.length === 1 ? listed[0] : `[${listed.join(', ')}]`}`;
  return status('Invalid', message, { name, group: info.group, kind: info.kind, causes });
}
