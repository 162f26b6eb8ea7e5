/** A phase (of a rollout, a run or a metric) as a coloured label; the word itself carries the meaning. */
export function PhaseBadge({ phase }: { phase: string }) {
  return <span class={`phase phase-${phase.toLowerCase()}`}>{phase}</span>;
}
