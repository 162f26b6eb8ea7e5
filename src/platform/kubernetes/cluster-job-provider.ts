import { createHash } from 'node:crypto';
import type { V1Job } from '@kubernetes/client-node';
import {
  isKubernetesJob,
  jobProvider,
  type MeasureContext,
  MetricProviderError,
  type MetricProviderPlugin,
  providerConfig,
  verdict,
} from '../../analysis/index.js';
import type { Metric } from '../../spec/index.js';
import type { KubeObjects } from './kube-objects.js';

/** Argo Rollouts' labels and annotations of a metric's Job (`analysisrun.argoproj.io/...`). */
const RUN_ANNOTATION = 'analysisrun.argoproj.io/name';
const METRIC_ANNOTATION = 'analysisrun.argoproj.io/metric-name';
/** How often a running Job's status is read, ms. */
const DEFAULT_POLL_MS = 500;
/** Longest Kubernetes object name that is also a valid label value (the Job controller labels its pods with it). */
const MAX_JOB_NAME = 63;

export interface ClusterJobProviderOptions {
  objects: KubeObjects;
  /** The namespace of a Rollout's Jobs: the Rollout's (`default` when it sets none), as Argo. */
  namespaceOf: (rollout: string) => Promise<string>;
  /** @default 500 */
  pollMs?: number;
}

/**
 * The `job` metric provider of the kubernetes platform: Argo's form (`job: {metadata, spec}`) runs as
 * a Kubernetes Job in the Rollout's namespace, as Argo Rollouts' job provider does: created as
 * written (its labels and annotations kept, Argo's `analysisrun.argoproj.io/name` and `metric-name`
 * annotations added), named `<run>.<metric>.<measurement>` (hashed down to 63 characters when
 * longer), its status read every `pollMs` until a `Complete` (Successful) or `Failed` (Failed, with
 * the condition's reason and message: BackoffLimitExceeded, DeadlineExceeded) condition holds. The
 * cluster enforces `backoffLimit` and `activeDeadlineSeconds`. A measurement cut short (its timeout,
 * the run terminated) deletes the Job with its pods. cutover's own form (`job: {command}`) still runs
 * on the control plane's machine, in the sandbox, as on the local platform.
 */
export function clusterJobProvider(options: ClusterJobProviderOptions): MetricProviderPlugin {
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const { objects } = options;

  async function measureJob(
    config: { metadata?: V1Job['metadata']; spec: V1Job['spec'] },
    metric: Metric,
    ctx: MeasureContext,
  ) {
    const { run } = ctx;
    const namespace = await options.namespaceOf(run.rollout);
    const taken = run.status.metricResults.find((r) => r.name === metric.name)?.count ?? 0;
    const name = jobName(`${run.name}.${metric.name}.${taken + 1}`);
    const ref = { apiVersion: 'batch/v1', kind: 'Job', namespace, name };
    await objects.upsert<V1Job>({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        ...config.metadata,
        name,
        namespace,
        annotations: {
          ...config.metadata?.annotations,
          [RUN_ANNOTATION]: run.name,
          [METRIC_ANNOTATION]: metric.name,
        },
      },
      ...(config.spec !== undefined ? { spec: config.spec } : {}),
    } as V1Job);
    try {
      for (;;) {
        if (ctx.signal.aborted)
          throw new MetricProviderError('job', `measurement aborted; Job ${namespace}/${name} deleted`);
        const job = await objects.read<V1Job>(ref);
        if (job === undefined)
          throw new MetricProviderError('job', `Job ${namespace}/${name} was deleted before it ended`);
        const ended = job.status?.conditions?.find(
          (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
        );
        if (ended?.type === 'Complete') return verdict('Successful', 0, `Job ${namespace}/${name} complete`);
        if (ended?.type === 'Failed')
          return verdict(
            'Failed',
            job.status?.failed ?? null,
            `Job ${namespace}/${name} failed: ${ended.reason ?? 'Failed'}${ended.message ? `: ${ended.message}` : ''}`,
          );
        await sleep(pollMs, ctx.signal);
      }
    } catch (error) {
      if (ctx.signal.aborted) await objects.delete(ref, 'Background').catch(() => undefined);
      throw error;
    }
  }

  return {
    type: 'job',
    validate: jobProvider.validate,
    ...(jobProvider.timeoutMs !== undefined ? { timeoutMs: jobProvider.timeoutMs } : {}),
    async measure(metric, ctx) {
      const config = providerConfig<unknown>(metric, 'job', jobProvider.validate);
      if (!isKubernetesJob(config)) return jobProvider.measure(metric, ctx);
      return measureJob(config as { metadata?: V1Job['metadata']; spec: V1Job['spec'] }, metric, ctx);
    },
  };
}

/** A Job name within {@link MAX_JOB_NAME} characters, lowercase (a DNS subdomain): too long, cut and suffixed with a hash. */
function jobName(wanted: string): string {
  const name = wanted.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
  if (name.length <= MAX_JOB_NAME) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 10);
  return `${name.slice(0, MAX_JOB_NAME - 11).replace(/[.-]+$/, '')}-${hash}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
