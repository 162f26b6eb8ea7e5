/** The demo's spec files, generated for the ports it found free. */

export interface DemoPorts {
  /** Public port of the demo Rollout. */
  port: number;
  /** Blue-green preview port. */
  previewPort: number;
}

const analysisTemplate = `---
apiVersion: cutover.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: error-rate}
spec:
  args:
  - {name: window, value: 3s}
  metrics:
  - name: error-rate
    interval: 1s
    # As Argo: only a failure condition, so no traffic yet (NaN) is not a failure.
    failureCondition: "result >= 0.05"
    failureLimit: 0
    provider:
      builtin: {metric: error-rate, revision: canary, window: "{{args.window}}"}
`;

function template(service: string, version: string, faultRate: number): string {
  return `  template:
    command: ["node", ${JSON.stringify(service)}]
    env: {VERSION: ${version}, FAULT_RATE: "${faultRate}"}
    readinessProbe: {httpGet: {path: /healthz}, periodSeconds: 1}
    livenessProbe: {httpGet: {path: /healthz}, periodSeconds: 5}
    terminationGracePeriodSeconds: 5
`;
}

function rollout(
  service: string,
  ports: DemoPorts,
  version: string,
  faultRate: number,
  strategy: string,
): string {
  return `apiVersion: cutover.dev/v1alpha1
kind: Rollout
metadata: {name: demo}
spec:
  replicas: 2
  port: ${ports.port}
${template(service, version, faultRate)}  strategy:
${strategy}${analysisTemplate}`;
}

/** A canary Rollout of the sample service with background error-rate analysis. */
export function canarySpec(service: string, ports: DemoPorts, version: string, faultRate = 0): string {
  return rollout(
    service,
    ports,
    version,
    faultRate,
    `    canary:
      scaleDownDelaySeconds: 2
      abortScaleDownDelaySeconds: 2
      analysis:
        templates: [{templateName: error-rate}]
      steps:
      - setWeight: 20
      - pause: {duration: 3s}
      - setWeight: 50
      - pause: {duration: 3s}
`,
  );
}

/** The same Rollout switched to blue-green with manual promotion. */
export function blueGreenSpec(service: string, ports: DemoPorts, version: string): string {
  return rollout(
    service,
    ports,
    version,
    0,
    `    blueGreen:
      previewPort: ${ports.previewPort}
      autoPromotionEnabled: false
      scaleDownDelaySeconds: 2
`,
  );
}
