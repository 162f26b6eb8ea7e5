/**
 * A mixture sequential probability ratio test that the canary's event rate (errors, or requests
 * slower than a threshold) is no worse than the stable's up to a relative margin - the count test of
 * Lindon, Sanden & Shirikian (2022), "Rapid regression detection in software deployments through
 * sequential testing", with the traffic split allowed to change every interval.
 *
 * Model. In interval t the canary served n_c requests of which e_c were events, the stable n_s and
 * e_s. Each revision's events are Poisson with rate n · q (q: per-request event probability; the
 * Poisson limit of Bernoulli outcomes). Conditional on the interval's total e = e_c + e_s, e_c is
 * Binomial(e, p_t(θ)) with θ = q_c / q_s the relative risk and
 *
 *     p_t(θ) = n_c·θ / (n_c·θ + n_s)           (Lindon et al.'s w·λc / (w·λc + (1 - w)·λs)).
 *
 * The request counts do not depend on θ, so conditioning on them is free; the split may change
 * from one interval to the next, and so may the stable's own rate q_s (a shared incident moves both).
 *
 * Hypotheses. H0: θ ≤ θ0 = 1 + margin (the canary is at most `margin` worse); H1: θ > θ0.
 *
 * Statistic. For one θ > θ0 the likelihood ratio of all intervals so far against θ0 is
 *
 *     L_t(θ) = Π_i (p_i(θ) / p_i(θ0))^e_c,i · ((1 - p_i(θ)) / (1 - p_i(θ0)))^e_s,i .
 *
 * Under any θ* ≤ θ0 each factor has conditional mean p*·p/p0 + (1 - p*)(1 - p)/(1 - p0) ≤ 1 (linear
 * in p* ≤ p0, equal to 1 at p0, increasing because p > p0), so L_t(θ) is a nonnegative
 * supermartingale. So is any mixture Λ_t = Σ_k π_k · L_t(θ_k) over a prior π on θ > θ0. By Ville's
 * inequality P_H0(∃t: Λ_t ≥ 1/α) ≤ α: rejecting H0 the first time Λ_t ≥ 1/α is a test of level α
 * however often (and whenever) it is evaluated - Johari et al.'s always-valid p-value is
 * min(1, 1 / max_s Λ_s).
 *
 * With a constant split, p_t(θ) is one p and a Beta prior on p gives Lindon et al.'s closed-form
 * beta-binomial Bayes factor. With a changing split there is no shared p, so the prior is put on θ
 * (shared by every interval) and is discrete: {@link MIXTURE_GRID}, log-spaced ratios θ/θ0. A
 * discrete prior is a mixture like any other, so the guarantee is exact, not an approximation of a
 * continuous one.
 *
 * Restarts (faults that start late). L_t(θ) counts every interval since the start, so healthy
 * minutes before a fault count against it. The test therefore also mixes over start times: a test
 * started at interval j is M_t^(j) = 1 for t < j and Π_{j ≤ i < t} (factor_i) afterwards - again a
 * nonnegative supermartingale with M_0 = 1 (the start times are fixed in advance, not chosen from
 * the data). With start weights w_j ≥ 0, Σ_j w_j = 1 ({@link RESTARTS}: 1 - share at 0, and
 * share / (m (m + 1)) at every `every`-th interval m·every), the statistic
 *
 *     Λ_t = Σ_k π_k Σ_j w_j M_t^(j)(θ_k)
 *         = Σ_k π_k S_t(θ_k) + Σ_{j ≥ t} w_j,     S_t(θ) = Σ_{j < t} w_j L_{j→t}(θ),
 *
 * is a convex combination of test supermartingales, hence one itself with Λ_0 = 1, and Ville's
 * inequality still gives P_H0(∃t: Λ_t ≥ 1/α) ≤ α. S obeys S_{t+1}(θ) = (S_t(θ) + w_t) · factor_t(θ)
 * (Shiryaev–Roberts-like), so the state stays the vector ln S_t(θ_k) plus the interval count.
 */

/** Start times of the restarted tests: weight 1 - share at the start, share / (m (m + 1)) at interval m·every (m ≥ 1); the weights sum to 1. */
export const RESTARTS = { every: 10, share: 0.2 } as const;

/** Weight w_j of the test started at interval j (0-based). Pure. */
export function restartWeight(j: number): number {
  if (j === 0) return 1 - RESTARTS.share;
  if (j < 0 || j % RESTARTS.every !== 0) return 0;
  const m = j / RESTARTS.every;
  return RESTARTS.share / (m * (m + 1));
}

/** Σ_{j ≥ n} w_j, the weight of tests not started after n intervals (Σ_{m ≥ M} 1/(m(m+1)) = 1/M). Pure. */
export function unstartedWeight(n: number): number {
  if (n <= 0) return 1;
  return RESTARTS.share / Math.max(1, Math.ceil(n / RESTARTS.every));
}

/** Ratios θ/θ0 the mixture puts weight on (log-spaced, 2^(1/4) apart, 1.19 to 32; a regression of 32·θ0 or more is caught by the top point), and their prior weights. */
export const MIXTURE_GRID: { readonly ratios: readonly number[]; readonly logPrior: readonly number[] } =
  (() => {
    const ratios: number[] = [];
    for (let k = 1; k <= 20; k++) ratios.push(2 ** (k / 4));
    // Uniform in ln θ over the grid.
    const logPrior = ratios.map(() => -Math.log(ratios.length));
    return { ratios, logPrior };
  })();

/** Counts of one interval (e.g. one second). */
export interface IntervalCounts {
  canaryRequests: number;
  /** Events among the canary's requests (errors, or slow requests). */
  canaryEvents: number;
  stableRequests: number;
  stableEvents: number;
}

/** Evidence so far. Plain data: it is stored with the measurement and resumed after a restart. */
export interface MixtureSprtState {
  /** Relative non-inferiority margin m ≥ 0: H0 is q_c ≤ (1 + m)·q_s. */
  margin: number;
  /** ln S_t(θ_k) for each ratio of {@link MIXTURE_GRID}: the start-weighted sum of the restarted tests' likelihood ratios (the test started at interval 0 included from the outset). */
  logLR: number[];
  /** Intervals observed (t): the restarts up to t - 1 have begun. */
  intervals: number;
  /** Totals over the intervals observed. */
  canaryRequests: number;
  canaryEvents: number;
  stableRequests: number;
  stableEvents: number;
}

/** Starts a test with no evidence. Pure. @param margin - relative, ≥ 0 (0.2: 20 % more events is harmless) */
export function createMixtureSprt(margin: number): MixtureSprtState {
  return {
    margin,
    logLR: MIXTURE_GRID.ratios.map(() => Math.log(restartWeight(0))),
    intervals: 0,
    canaryRequests: 0,
    canaryEvents: 0,
    stableRequests: 0,
    stableEvents: 0,
  };
}

/**
 * Adds one interval's counts (first starting the restarted test due at this interval, if any). An
 * interval in which either revision had no requests carries no comparison (its factor is 1) and
 * only adds to the totals. Pure: returns a new state.
 */
export function observeInterval(state: MixtureSprtState, counts: IntervalCounts): MixtureSprtState {
  const { canaryRequests: nc, canaryEvents: ec, stableRequests: ns, stableEvents: es } = counts;
  const next: MixtureSprtState = {
    ...state,
    canaryRequests: state.canaryRequests + nc,
    canaryEvents: state.canaryEvents + ec,
    stableRequests: state.stableRequests + ns,
    stableEvents: state.stableEvents + es,
    intervals: state.intervals + 1,
  };
  const w = state.intervals > 0 ? restartWeight(state.intervals) : 0;
  const started = w > 0 ? state.logLR.map((logS) => logAddExp(logS, Math.log(w))) : state.logLR;
  next.logLR = started;
  if (nc <= 0 || ns <= 0 || ec + es <= 0) return next;
  const theta0 = 1 + state.margin;
  const p0 = (nc * theta0) / (nc * theta0 + ns);
  next.logLR = started.map((logLR, k) => {
    const theta = theta0 * (MIXTURE_GRID.ratios[k] ?? 1);
    const p = (nc * theta) / (nc * theta + ns);
    return logLR + ec * Math.log(p / p0) + es * Math.log((1 - p) / (1 - p0));
  });
  return next;
}

const logAddExp = (a: number, b: number): number => {
  const m = Math.max(a, b);
  return m === Number.NEGATIVE_INFINITY ? m : m + Math.log(Math.exp(a - m) + Math.exp(b - m));
};

/** ln Λ_t, the log of the mixture likelihood ratio (log-sum-exp over the grid and the tests not yet started). Pure. */
export function mixtureLogLR(state: MixtureSprtState): number {
  let max = Number.NEGATIVE_INFINITY;
  const terms = state.logLR.map((logLR, k) => logLR + (MIXTURE_GRID.logPrior[k] ?? Number.NEGATIVE_INFINITY));
  // Tests not started yet (j ≥ max(1, t); the one at 0 is in logLR from the outset) count as 1 each.
  const unstarted = unstartedWeight(Math.max(1, state.intervals));
  if (unstarted > 0) terms.push(Math.log(unstarted));
  for (const t of terms) if (t > max) max = t;
  if (max === Number.NEGATIVE_INFINITY) return max;
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  return max + Math.log(sum);
}

/**
 * Whether H0 (canary no worse than stable up to the margin) is rejected at level α:
 * Λ_t ≥ 1/α. Pure.
 *
 * @param alpha - false-alarm bound, 0..1 exclusive
 */
export function isRejected(state: MixtureSprtState, alpha: number): boolean {
  return mixtureLogLR(state) >= Math.log(1 / alpha);
}
