import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { forgetToken, storedToken, storeToken } from '../auth.js';
import { type LiveChange, type LiveMode, startLive } from '../live.js';
import type { Identity } from '../types.js';
import { RolloutList } from './rollout-list.js';
import { RolloutPage } from './rollout-page.js';
import { TokenScreen } from './token-screen.js';

/** `#/` is the list, `#/rollouts/NAME` a rollout page. */
function currentRoute(): { rollout: string | null } {
  const match = /^#\/rollouts\/([^/]+)$/.exec(location.hash);
  return { rollout: match?.[1] ? decodeURIComponent(match[1]) : null };
}

/** Messages of the live stream within this window cause one refresh, ms. */
const REFRESH_COALESCE_MS = 150;

type Session =
  | { state: 'checking' }
  | { state: 'signedOut'; error: string | null }
  | { state: 'in'; identity: Identity };

/** The dashboard: who am I, the live stream, and the two pages. */
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
  const rollout = route.rollout;
  // The stream outlives navigation; it reads the page's rollout when a message arrives.
  const shown = useRef(rollout);
  shown.current = rollout;
  useEffect(() => {
    if (!signedIn) return;
    // A burst of messages (one promote writes several events) becomes one refresh.
    let pending: ReturnType<typeof setTimeout> | undefined;
    const stop = startLive({
      onChange: (change: LiveChange | null) => {
        const page = shown.current;
        const relevant =
          change === null || page === null || change.rollout === page || change.rollout === null;
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
        {rollout === null ? (
          <RolloutList tick={tick} onError={onError} />
        ) : (
          <RolloutPage key={rollout} name={rollout} identity={identity} tick={tick} onError={onError} />
        )}
      </div>
    </>
  );
}
