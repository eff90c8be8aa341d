/** The admin's password once adminToken() has changed it. */
export const BENCH_ADMIN_PASSWORD = 'Bench-quartz-meadow-signal-42';

async function postJson<T>(url: string, body: unknown, token?: string): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url} failed: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/**
 * Logs the initial admin in and completes the forced password change; returns a usable bearer token.
 * Servers sharing one BENCH_DATABASE_URL share the admin too: a password already changed is used as it is.
 */
export async function adminToken(baseUrl: string, initialPassword: string): Promise<string> {
  const api = `${baseUrl}/api/v1`;
  const changed = await fetch(`${api}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: BENCH_ADMIN_PASSWORD }),
  });
  if (changed.ok) return ((await changed.json()) as { accessToken: string }).accessToken;
  const first = await postJson<{ accessToken: string }>(`${api}/auth/login`, {
    username: 'admin',
    password: initialPassword,
  });
  await postJson(
    `${api}/auth/password`,
    { currentPassword: initialPassword, newPassword: BENCH_ADMIN_PASSWORD },
    first.accessToken,
  );
  const second = await postJson<{ accessToken: string }>(`${api}/auth/login`, {
    username: 'admin',
    password: BENCH_ADMIN_PASSWORD,
  });
  return second.accessToken;
}

export async function issueApiKey(baseUrl: string, token: string): Promise<string> {
  const issued = await postJson<{ key: string }>(`${baseUrl}/api/v1/api-keys`, { name: 'bench' }, token);
  return issued.key;
}
