/** The Kubernetes platform (`cutover server --platform kubernetes`, docs/kubernetes.md). */
export { bindingFor } from './binding.js';
export { KubernetesClusterDataPlane } from './cluster-data-plane.js';
export { type ClusterJobProviderOptions, clusterJobProvider } from './cluster-job-provider.js';
export {
  KubeObjectNotFoundError,
  KubeObjects,
  ListedObjects,
  type ObjectReader,
  type ObjectRef,
} from './kube-objects.js';
export { type KubernetesBinding, KubernetesDataPlane } from './kubernetes-data-plane.js';
export { POD_TEMPLATE_HASH_LABEL } from './labels.js';
export { type GatewayApiRouting, gatewayApiProvider } from './traffic/gateway-api.js';
export { type IstioRouting, istioProvider } from './traffic/istio.js';
export { type NginxRouting, nginxProvider } from './traffic/nginx.js';
export { replicaRatioProvider } from './traffic/replica-ratio.js';
export type { TrafficProvider, TrafficTarget } from './traffic/traffic-provider.js';
export type { RolloutWorkload } from './workload.js';
