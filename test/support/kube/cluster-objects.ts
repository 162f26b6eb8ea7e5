/**
 * The cluster's own objects a team has before its first rollout (the Services and routes an Argo
 * Rollout names), created through the Kubernetes API for the tests that use the simulated server.
 */
import type { V1Service } from '@kubernetes/client-node';
import type { KubeObjects } from '../../../src/platform/kubernetes/kube-objects.js';
import type { HttpRoute } from '../../../src/platform/kubernetes/traffic/gateway-api.js';
import type { DestinationRule, VirtualService } from '../../../src/platform/kubernetes/traffic/istio.js';

/** Services `<app>-stable` and `<app>-canary` selecting `app: <app>` (port 80 to 8080). */
async function canaryServices(objects: KubeObjects, ns: string, app: string): Promise<void> {
  for (const name of [`${app}-stable`, `${app}-canary`])
    await objects.upsert<V1Service>({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns },
      spec: { selector: { app }, ports: [{ port: 80, targetPort: 8080 }] },
    });
}

/** {@link canaryServices}, a VirtualService `<app>` whose route `primary` splits by subset, its DestinationRule. */
export async function istioObjects(objects: KubeObjects, ns: string, app: string): Promise<void> {
  await canaryServices(objects, ns, app);
  await objects.upsert<VirtualService>({
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'VirtualService',
    metadata: { name: app, namespace: ns },
    spec: {
      hosts: [app],
      http: [
        {
          name: 'primary',
          route: [
            { destination: { host: app, subset: 'stable' }, weight: 100 },
            { destination: { host: app, subset: 'canary' }, weight: 0 },
          ],
        },
      ],
    },
  });
  await objects.upsert<DestinationRule>({
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'DestinationRule',
    metadata: { name: app, namespace: ns },
    spec: { host: app, subsets: ['stable', 'canary'].map((name) => ({ name, labels: { app } })) },
  });
}

/** {@link canaryServices} and an HTTPRoute `<app>` whose one rule sends 100 % to stable, 0 % to canary. */
export async function gatewayObjects(objects: KubeObjects, ns: string, app: string): Promise<void> {
  await canaryServices(objects, ns, app);
  await objects.upsert<HttpRoute>({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: app, namespace: ns },
    spec: {
      parentRefs: [{ name: 'agents-gateway' }],
      rules: [
        {
          backendRefs: [
            { name: `${app}-stable`, port: 80, weight: 100 },
            { name: `${app}-canary`, port: 80, weight: 0 },
          ],
        },
      ],
    } as HttpRoute['spec'],
  });
}
