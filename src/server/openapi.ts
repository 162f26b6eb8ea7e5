import { z } from 'zod';
import { PERMISSIONS, QUALIFIERS, ROLES, USER_KINDS } from '../auth/index.js';
import type { JsonSchema, RouteDoc } from './route-registry.js';

/** Hand-written schemas of answers (bodies validated with zod are generated from their schemas). */
const COMPONENTS: Record<string, JsonSchema> = {
  Error: {
    type: 'object',
    required: ['code', 'message'],
    properties: {
      code: { type: 'string', description: 'Stable code, CUTOVER_E_... (docs/error-codes.md)' },
      message: { type: 'string' },
      path: { type: 'string', description: 'Field path of the offending input, dot-separated' },
      issues: {
        type: 'array',
        items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
      },
    },
  },
  Rollout: {
    type: 'object',
    description:
      'A Rollout, Kubernetes-style (spec as docs/spec-reference.md, status as `get rollout -o json`)',
    properties: {
      apiVersion: { type: 'string' },
      kind: { const: 'Rollout' },
      metadata: {
        type: 'object',
        properties: { name: { type: 'string' }, creationTimestamp: { type: 'string', format: 'date-time' } },
      },
      spec: { type: 'object' },
      status: {
        type: 'object',
        properties: {
          phase: { enum: ['Healthy', 'Progressing', 'Paused', 'Degraded'] },
          message: { type: 'string' },
          currentStepIndex: { type: ['integer', 'null'] },
          currentRevision: { type: 'integer' },
          stableRevision: { type: ['integer', 'null'] },
          weights: {
            type: 'object',
            properties: { canary: { type: 'number' }, stable: { type: 'number' } },
          },
        },
      },
    },
  },
  Event: {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      time: { type: 'integer', description: 'ms since the epoch' },
      rollout: { type: ['string', 'null'] },
      type: { enum: ['Normal', 'Warning'] },
      reason: { type: 'string' },
      message: { type: 'string' },
      actor: { type: 'string', description: 'user:<name>, agent:<name> or controller' },
    },
  },
  Principal: {
    type: 'object',
    properties: {
      user: { type: 'string' },
      kind: { enum: [...USER_KINDS] },
      role: { enum: [...ROLES] },
      qualifier: { enum: [...QUALIFIERS, null] },
      actor: { type: 'string' },
      tokenId: { type: 'string' },
      permissions: { type: 'array', items: { enum: [...PERMISSIONS] } },
    },
  },
  Token: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      user: { type: 'string' },
      kind: { enum: [...USER_KINDS] },
      role: { enum: [...ROLES] },
      qualifier: { enum: [...QUALIFIERS, null] },
      createdAt: { type: 'integer', description: 'ms since the epoch' },
      revokedAt: { type: ['integer', 'null'], description: 'ms since the epoch' },
    },
  },
  CreatedToken: {
    allOf: [
      { $ref: '#/components/schemas/Token' },
      {
        type: 'object',
        properties: { token: { type: 'string', description: 'The bearer token; shown only here' } },
      },
    ],
  },
  AuditEntry: {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      time: { type: 'integer', description: 'ms since the epoch' },
      actor: { type: 'string' },
      role: { type: 'string' },
      method: { type: 'string' },
      path: { type: 'string' },
      summary: { type: 'string', description: 'Body as canonical JSON when short, else sha256:<hex>' },
      status: { type: 'integer' },
      prevHash: { type: 'string' },
      hash: {
        type: 'string',
        description:
          'HMAC-SHA256 with the audit key of prevHash + canonical JSON of the other fields (sha256 for entries older than the key)',
      },
    },
  },
  AuditVerification: {
    type: 'object',
    properties: {
      ok: { type: 'boolean' },
      entries: { type: 'integer' },
      keyedFrom: { type: 'integer', description: 'Id of the first HMAC-sealed entry' },
      head: { type: 'integer', description: 'Id of the entry the head checkpoint names' },
      broken: { type: 'object', properties: { id: { type: 'integer' }, reason: { type: 'string' } } },
    },
  },
  DriftReport: {
    type: 'object',
    description: 'The findings of the last drift pass (docs/drift.md)',
    properties: {
      checkedAt: { type: ['integer', 'null'], description: 'When the last pass ended, ms since the epoch' },
      intervalSeconds: { type: 'number' },
      items: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            kind: { enum: ['Rollout', 'FeatureFlags'] },
            name: { type: 'string' },
            aspect: { enum: ['dataPlane', 'environment', 'workingDirectory', 'flags'] },
            field: { type: 'string', description: 'e.g. listeners[8080].weights' },
            desired: { type: 'string', description: 'Values of variables and files as sha256 fingerprints' },
            observed: { type: 'string' },
            policy: { enum: ['alert', 'remediate'] },
            remediable: { type: 'boolean', description: 'Whether remediate restores this kind of finding' },
            since: { type: 'integer', description: 'First seen, ms since the epoch' },
          },
        },
      },
    },
  },
  RolloutStats: {
    type: 'object',
    properties: {
      rollout: { type: 'string' },
      windowSeconds: { type: 'integer' },
      quantile: { type: 'number' },
      revisions: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            revision: { type: 'integer' },
            roles: { type: 'array', items: { enum: ['stable', 'current', 'active', 'preview'] } },
            stats: {
              type: 'object',
              description: "The data plane's RevisionStats",
              properties: {
                requests: { type: 'integer' },
                errors: { type: 'integer' },
                requestRate: { type: 'number', description: 'req/s' },
                errorRate: { type: ['number', 'null'], description: 'ratio 0..1' },
                latency: { type: ['number', 'null'], description: 'quantile, s' },
              },
            },
            series: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  second: { type: 'integer', description: 's since the epoch' },
                  requests: { type: 'integer' },
                  errors: { type: 'integer' },
                  errorRate: { type: ['number', 'null'] },
                  latency: { type: ['number', 'null'], description: 's' },
                },
              },
            },
          },
        },
      },
    },
  },
};

const ERROR_STATUSES: Record<string, string> = {
  '400': 'Invalid input: the error names the field path',
  '401': 'Missing, invalid or revoked token',
  '403': 'The role may not do this',
  '404': 'No such resource',
  '413': 'Body larger than 1 MiB',
  '429': 'Rate limit per token exceeded (Retry-After says when to retry)',
};

function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
}

function parameters(route: RouteDoc): JsonSchema[] {
  const params: JsonSchema[] = [...route.url.matchAll(/:(\w+)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (route.query) {
    const q = jsonSchemaOf(route.query) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      params.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
    }
  }
  return params;
}

function responseSchema(route: RouteDoc): JsonSchema {
  if (route.produces === 'text/event-stream' || route.produces === 'text/plain') return { type: 'string' };
  if (typeof route.response === 'string') return { $ref: `#/components/schemas/${route.response}` };
  return route.response ?? { type: 'object' };
}

/** `/api/v1/rollouts/:name` → `/api/v1/rollouts/{name}`. Pure. */
export function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, '{$1}');
}

/**
 * The OpenAPI 3.1 document of the routes served: each with its permission (`x-permission`), its
 * body schema generated from the zod schema that validates it, and the JSON error answers. Pure.
 */
export function openApiDocument(routes: readonly RouteDoc[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const operation: JsonSchema = {
      operationId: `${route.method.toLowerCase()}${openApiPath(route.url).replace(/[^A-Za-z0-9]+(\w)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      summary: route.summary,
      tags: [route.tag],
      'x-permission': route.permission,
      security: route.permission === 'public' ? [] : [{ bearer: [] }],
      parameters: parameters(route),
      responses: {
        '200': {
          description: 'OK',
          content: { [route.produces ?? 'application/json']: { schema: responseSchema(route) } },
        },
        ...Object.fromEntries(
          Object.entries(ERROR_STATUSES).map(([status, description]) => [
            status,
            {
              description,
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
            },
          ]),
        ),
      },
    };
    if (route.body) {
      operation.requestBody = {
        required: route.bodyRequired ?? false,
        content: { 'application/json': { schema: jsonSchemaOf(route.body) } },
      };
    }
    const path = openApiPath(route.url);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'cutover control plane API',
      version,
      description:
        'Progressive delivery with Argo Rollouts semantics. Every route but /healthz needs `Authorization: Bearer <token>`; see docs/api.md.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: COMPONENTS,
    },
    paths,
  };
}
