import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { forgetToken, storedToken, storeToken } from '../auth.js';
import { type LiveChange, type LiveMode, startLive } from '../live.js';
import type { Whoami } from '../types.js';
import { AnalyticsPage } from './analytics-page.js';
import { ReleaseList } from './release-list.js';
import { ReleasePage } from './release-page.js';
import { RolloutList } from './rollout-list.js';
import { RolloutPage } from './rollout-page.js';
import { TokenScreen } from './token-screen.js';

/** The page the hash names. */
type Route =
  | { page: 'rollouts' }
  | { page: 'rollout'; name: string }
  | { page: 'releases' }
  | { page: 'release'; name: string }
  | { page: 'analytics' };

/**
 * `#/` is the rollout list, `#/rollouts/NAME` a rollout page, `#/releases` the release list,
 * `#/releases/NAME` a release page, `#/analytics` the DORA figures.
 */
function currentRoute(): Route {
  const hash = location.hash;
  const rollout = /^#\/rollouts\/([^/]+)$/.exec(hash)?.[1];
  if (rollout) return { page: 'rollout', name: decodeURIComponent(rollout) };
  const release = /^#\/releases\/([^/]+)$/.exec(hash)?.[1];
  if (release) return { page: 'release', name: decodeURIComponent(release) };
  if (/^#\/releases\/?$/.test(hash)) return { page: 'releases' };
  if (/^#\/analytics\/?$/.test(hash)) return { page: 'analytics' };
  return { page: 'rollouts' };
}

/** The page a route shows, for the live stream: a rollout page refreshes only for its rollout. */
function routeKey(route: Route): string {
  return route.page === 'rollout' || route.page === 'release' ? `${route.page}/${route.name}` : route.page;
}

/** Messages of the live stream within this window cause one refresh, ms. */
const REFRESH_COALESCE_MS = 150;

type Session =
  | { state: 'checking' }
  | { state: 'signedOut'; error: string | null }
  | { state: 'in'; identity: Whoami };

/** The dashboard: who am I, the live stream, and the pages (rollouts, releases, analytics). */
export function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' });
  const [route, setRoute] = useState(currentRoute);
  const [tick, setTick] = useState(0);
  const [live, setLive] = useState<LiveMode>('connecting');
  const [error, setError] = useState<string | null>(null);

  const signIn = useCallback(async () => {
    if (storedToken() === null) {
      // Nothing to ask the server about yet (and a 401 would only be noise in the console).
      setSession({ state: 'signedOut', error: null });
      return;
    }
    try {
      setSession({ state: 'in', identity: await api.whoami() });
    } catch (e) {
      const refused = e instanceof ApiError && (e.status === 401 || e.status === 403);
      if (refused) forgetToken();
      setSession({
        state: 'signedOut',
        error: refused ? `The token was refused: ${(e as Error).message}` : (e as Error).message,
      });
    }
  }, []);

  useEffect(() => {
    void signIn();
  }, [signIn]);

  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const signedIn = session.state === 'in';
  // The stream outlives navigation; it reads the page's route when a message arrives.
  const shown = useRef(route);
  shown.current = route;
  useEffect(() => {
    if (!signedIn) return;
    // A burst of messages (one promote writes several events) becomes one refresh.
    let pending: ReturnType<typeof setTimeout> | undefined;
    const stop = startLive({
      onChange: (change: LiveChange | null) => {
        const page = shown.current;
        const relevant =
          change === null ||
          change.rollout === null ||
          (page.page === 'rollout' ? change.rollout === page.name : page.page !== 'analytics');
        if (!relevant || pending !== undefined) return;
        pending = setTimeout(() => {
          pending = undefined;
          setTick((t) => t + 1);
        }, REFRESH_COALESCE_MS);
      },
      onMode: setLive,
    });
    return () => {
      stop();
      if (pending !== undefined) clearTimeout(pending);
    };
  }, [signedIn]);

  const onError = useCallback((e: unknown) => {
    if (e instanceof ApiError && e.status === 401) {
      forgetToken();
      setSession({ state: 'signedOut', error: 'The token was refused (revoked or expired). Enter another.' });
      return;
    }
    setError(e instanceof Error ? e.message : String(e));
  }, []);

  useEffect(() => {
    // A later successful refresh clears a transient error.
    if (tick > 0) setError(null);
  }, [tick]);

  if (session.state === 'checking') return <p class="loading">Loading…</p>;
  if (session.state === 'signedOut')
    return (
      <TokenScreen
        error={session.error}
        onSubmit={(token) => {
          storeToken(token);
          setSession({ state: 'checking' });
          void signIn();
        }}
      />
    );

  const { identity } = session;
  return (
    <>
      <a class="skip" href="#content">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="#/">
          cutover
        </a>
        <nav class="sections" aria-label="Sections">
          <a href="#/releases" aria-current={route.page.startsWith('release') ? 'page' : undefined}>
            Releases
          </a>
          <a href="#/analytics" aria-current={route.page === 'analytics' ? 'page' : undefined}>
            Analytics
          </a>
        </nav>
        <span class={`live live-${live}`} title="How the page gets updates">
          {live === 'sse' ? 'live' : live === 'polling' ? 'live (polling)' : 'connecting…'}
        </span>
        <span class="who" data-role={identity.role}>
          {identity.user} · <strong>{identity.role}</strong>
        </span>
        <button
          type="button"
          onClick={() => {
            forgetToken();
            setSession({ state: 'signedOut', error: null });
          }}
        >
          Sign out
        </button>
      </header>
      {error && (
        <p class="error banner" role="alert">
          {error}
        </p>
      )}
      <div id="content">
        {route.page === 'rollout' ? (
          <RolloutPage
            key={routeKey(route)}
            name={route.name}
            identity={identity}
            tick={tick}
            onError={onError}
          />
        ) : route.page === 'releases' ? (
          <ReleaseList tick={tick} onError={onError} />
        ) : route.page === 'release' ? (
          <ReleasePage
            key={routeKey(route)}
            name={route.name}
            identity={identity}
            tick={tick}
            onError={onError}
          />
        ) : route.page === 'analytics' ? (
          <AnalyticsPage onError={onError} />
        ) : (
          <RolloutList tick={tick} onError={onError} />
        )}
      </div>
    </>
  );
}
