import { describe, expect, it } from 'vitest';
import type { Metric } from '../../../spec/types.js';
import {
  DEFAULT_BACKOFF_LIMIT,
  expandDependentVars,
  isKubernetesJob,
  jobImagesNotPulled,
  localJobOf,
  validateKubernetesJob,
} from './kubernetes-job.js';

/** A job metric in Argo Rollouts' Kubernetes Job form, with the fields a test adds. */
const argoJob = (
  container: Record<string, unknown> = {},
  spec: Record<string, unknown> = {},
  pod: Record<string, unknown> = {},
): Record<string, unknown> => ({
  spec: {
    template: {
      spec: {
        containers: [
          { name: 'check', image: 'alpine:3.8', command: ['sh', '-c'], args: ['exit 0'], ...container },
        ],
        restartPolicy: 'Never',
        ...pod,
      },
    },
    backoffLimit: 0,
    ...spec,
  },
});

const paths = (problems: string[]) => problems.map((p) => p.slice(0, p.indexOf(':')));

describe('validateKubernetesJob', () => {
  it('should accept the shapes of Argo Rollouts templates', () => {
    expect(validateKubernetesJob(argoJob(), 'job')).toEqual([]);
    const full = {
      metadata: { labels: { team: 'payments' }, annotations: { owner: 'sre' } },
      spec: {
        backoffLimit: '{{args.retries}}',
        activeDeadlineSeconds: 10,
        ttlSecondsAfterFinished: 60,
        template: {
          metadata: { annotations: { 'sidecar.example.com/inject': 'false' } },
          spec: {
            restartPolicy: 'OnFailure',
            containers: [
              {
                name: 'compare',
                image: 'busybox:1.36',
                imagePullPolicy: 'IfNotPresent',
                command: ['sh', '-ec'],
                args: ['test "$(CANARY)" != "$(STABLE)"'],
                env: [
                  { name: 'CANARY', value: '{{args.canary}}' },
                  { name: 'STABLE', value: '2' },
                ],
                workingDir: '/tmp',
                resources: {
                  limits: { memory: '64Mi', cpu: '500m' },
                  requests: { memory: 16777216, cpu: 1 },
                },
              },
            ],
          },
        },
      },
    };
    expect(validateKubernetesJob(full, 'job')).toEqual([]);
  });

  it('should list every field the local platform cannot honour, each at its path', () => {
    const problems = validateKubernetesJob(
      argoJob(
        { volumeMounts: [], env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
        { parallelism: 2, completions: 3 },
        { volumes: [], serviceAccountName: 'analysis' },
      ),
      'job',
    );
    expect(paths(problems)).toEqual([
      'job.spec.parallelism',
      'job.spec.completions',
      'job.spec.template.spec.volumes',
      'job.spec.template.spec.serviceAccountName',
      'job.spec.template.spec.containers[0].volumeMounts',
      'job.spec.template.spec.containers[0].env[0].valueFrom',
    ]);
    for (const problem of problems) expect(problem).toContain('not implemented on the local platform');
  });

  it('should refuse a container without command, naming its path and why', () => {
    const noCommand = argoJob();
    const containers = (
      noCommand as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } }
    ).spec.template.spec.containers;
    delete containers[0]?.command;
    expect(validateKubernetesJob(noCommand, 'spec.metrics[0].provider.job')).toEqual([
      "spec.metrics[0].provider.job.spec.template.spec.containers[0].command: expected the program to run, e.g. [sh, -c]: the local platform runs command and args with the host's binaries and cannot run the image's entrypoint",
    ]);
  });

  it('should refuse a bad restartPolicy, a bad quantity, a second container, a typo', () => {
    const problems = validateKubernetesJob(
      argoJob(
        { resources: { requests: { memory: 'invalid' } } },
        { backofLimit: 1 },
        { restartPolicy: 'Always' },
      ),
      'job',
    );
    expect(problems).toEqual([
      'job.spec.backofLimit: unknown field (expected template, backoffLimit, activeDeadlineSeconds, ttlSecondsAfterFinished)',
      'job.spec.template.spec.restartPolicy: expected Never or OnFailure (a Job\'s pods), got "Always"',
      'job.spec.template.spec.containers[0].resources.requests.memory: expected a quantity such as 256Mi or 1Gi, got "invalid"',
    ]);
    const two = argoJob({}, {}, {});
    const pod = (two as { spec: { template: { spec: { containers: unknown[] } } } }).spec.template.spec;
    pod.containers.push({ name: 'sidecar', image: 'envoy', command: ['envoy'] });
    expect(paths(validateKubernetesJob(two, 'job'))).toEqual(['job.spec.template.spec.containers[1]']);
  });
});

describe('isKubernetesJob', () => {
  it("should tell Argo's form from cutover's", () => {
    expect(isKubernetesJob(argoJob())).toBe(true);
    expect(isKubernetesJob({ metadata: {} })).toBe(true);
    expect(isKubernetesJob({ command: ['true'] })).toBe(false);
  });
});

describe('expandDependentVars', () => {
  it('should expand $(VAR) as Kubernetes: $$ escapes, an unknown reference stays', () => {
    expect(expandDependentVars('echo $(A) $$(A) $(B) $HOME $', { A: '1' })).toBe('echo 1 $(A) $(B) $HOME $');
  });
});

describe('localJobOf', () => {
  it('should run command then args with the env expanded, and default backoffLimit to Kubernetes 6', () => {
    const job = argoJob(
      {
        args: ['echo $(GREETING)'],
        env: [
          { name: 'NAME', value: 'cutover' },
          { name: 'GREETING', value: 'hello $(NAME)' },
        ],
        resources: { limits: { memory: '64Mi' } },
      },
      { backoffLimit: undefined, activeDeadlineSeconds: '30' },
    );
    expect(localJobOf(job)).toEqual({
      image: 'alpine:3.8',
      command: ['sh', '-c', 'echo hello cutover'],
      env: { NAME: 'cutover', GREETING: 'hello cutover' },
      activeDeadlineSeconds: 30,
      backoffLimit: DEFAULT_BACKOFF_LIMIT,
      memory: '64Mi',
    });
    expect(DEFAULT_BACKOFF_LIMIT).toBe(6);
  });
});

describe('jobImagesNotPulled', () => {
  it('should name the image and command of each Kubernetes Job metric only', () => {
    const metrics: Metric[] = [
      { name: 'argo', provider: { job: argoJob() } },
      { name: 'local', provider: { job: { command: ['true'] } } },
      { name: 'web', provider: { web: { url: 'http://x' } } },
    ];
    expect(jobImagesNotPulled(metrics)).toEqual([
      { metric: 'argo', image: 'alpine:3.8', command: ['sh', '-c', 'exit 0'] },
    ]);
  });
});
