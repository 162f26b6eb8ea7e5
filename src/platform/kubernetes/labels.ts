/**
 * The label Argo Rollouts puts on a revision's ReplicaSet and pods, and into the stable and canary
 * Services' selectors (and Istio subsets), so each selects exactly one revision's pods.
 */
export const POD_TEMPLATE_HASH_LABEL = 'rollouts-pod-template-hash';

/** Argo's annotation naming the Rollout that manages an object it changes (Services, routes). */
export const MANAGED_BY_ANNOTATION = 'argo-rollouts.argoproj.io/managed-by-rollouts';
