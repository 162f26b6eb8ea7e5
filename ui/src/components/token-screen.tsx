import { useState } from 'preact/hooks';

interface TokenScreenProps {
  /** Why the screen is shown again, e.g. the token was refused. */
  error: string | null;
  onSubmit: (token: string) => void;
}

/** Asks for an API token (`cutover token create --user U --role R` prints one). */
export function TokenScreen({ error, onSubmit }: TokenScreenProps) {
  const [token, setToken] = useState('');
  return (
    <main class="token-screen">
      <h1>cutover</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) onSubmit(token.trim());
        }}
      >
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
        <p class="hint">
          Create one with <code>cutover token create --user NAME --role viewer|deployer|admin</code>. It is
          kept in this tab only.
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
    </main>
  );
}
