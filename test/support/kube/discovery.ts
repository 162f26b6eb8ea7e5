import { apiVersionOf, KINDS, type KindInfo } from './kinds.js';

/** A parsed request path: discovery, or a resource (list, object, subresource). */
export type Route =
  | { type: 'discovery'; body: unknown }
  | {
      type: 'resource';
      info: KindInfo;
      namespace: string | undefined;
      name: string | undefined;
      subresource: string | undefined;
    }
  | { type: 'unknown' };

/** The API groups served, with their versions (the first is the preferred one). */
function groups(): { name: string; versions: string[] }[] {
  const byName = new Map<string, string[]>();
  for (const info of KINDS) {
    if (info.group === '') continue;
    const versions = byName.get(info.group) ?? [];
    if (!versions.includes(info.version)) versions.push(info.version);
    byName.set(info.group, versions);
  }
  return [...byName].map(([name, versions]) => ({ name, versions }));
}

function groupBody(group: { name: string; versions: string[] }) {
  const versions = group.versions.map((version) => ({ groupVersion: `${group.name}/${version}`, version }));
  return { name: group.name, versions, preferredVersion: versions[0] };
}

/** `/api/v1` or `/apis/<group>/<version>`: an APIResourceList with each resource and its subresources. */
function resourceList(group: string, version: string): unknown {
  const served = KINDS.filter((k) => k.group === group && k.version === version);
  if (served.length === 0) return undefined;
  const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
  const resources = served.flatMap((k) => [
    {
      name: k.plural,
      singularName: k.singular,
      namespaced: true,
      kind: k.kind,
      verbs,
      shortNames: k.shortNames,
    },
    ...k.subresources.map((sub) => ({
      name: `${k.plural}/${sub}`,
      singularName: '',
      namespaced: true,
      kind: sub === 'scale' ? 'Scale' : k.kind,
      ...(sub === 'scale' ? { group: 'autoscaling', version: 'v1' } : {}),
      verbs: ['get', 'patch', 'update'],
    })),
  ]);
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources,
  };
}

/**
 * Routes a request path as the API server does: discovery (`/api`, `/apis`, `/apis/<group>`,
 * `/api/v1`, `/apis/<group>/<version>`, `/version`), namespaced resources
 * (`/api/v1/namespaces/<ns>/<plural>[/<name>[/<subresource>]]`, same under `/apis/<group>/<version>`)
 * and lists across namespaces (`/api/v1/<plural>`). Pure.
 */
export function route(pathname: string): Route {
  const parts = pathname.split('/').filter((p) => p !== '');
  if (pathname === '/version')
    return {
      type: 'discovery',
      body: { major: '1', minor: '33', gitVersion: 'v1.33.0-simulated', platform: 'linux/amd64' },
    };
  if (parts[0] === 'api' && parts.length === 1) {
    return {
      type: 'discovery',
      body: {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
      },
    };
  }
  if (parts[0] === 'apis' && parts.length === 1) {
    return {
      type: 'discovery',
      body: { kind: 'APIGroupList', apiVersion: 'v1', groups: groups().map(groupBody) },
    };
  }
  if (parts[0] === 'apis' && parts.length === 2) {
    const group = groups().find((g) => g.name === parts[1]);
    return group === undefined
      ? { type: 'unknown' }
      : { type: 'discovery', body: { kind: 'APIGroup', apiVersion: 'v1', ...groupBody(group) } };
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') [group, version, rest] = ['', 'v1', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 3)
    [group, version, rest] = [parts[1] as string, parts[2] as string, parts.slice(3)];
  else return { type: 'unknown' };
  if (rest.length === 0) {
    const body = resourceList(group, version);
    return body === undefined ? { type: 'unknown' } : { type: 'discovery', body };
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
  const [plural, name, subresource, ...extra] = rest;
  const info = KINDS.find((k) => k.group === group && k.version === version && k.plural === plural);
  if (info === undefined || extra.length > 0 || (namespace === undefined && name !== undefined))
    return { type: 'unknown' };
  if (subresource !== undefined && !info.subresources.includes(subresource as 'status'))
    return { type: 'unknown' };
  return { type: 'resource', info, namespace, name, subresource };
}
