/** Single requests for setup and checks (not for load: that is autocannon's job). */
export async function call<T = any>(url: string, options: { method?: string; body?: unknown; token?: string } = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method: options.method ?? (options.body === undefined ? "GET" : "POST"),
    headers: {
      ...(options.body !== undefined && { "content-type": "application/json" }),
      ...(options.token && { authorization: `Bearer ${options.token}` }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** Fails the run when a server under test does not answer what the scenario assumes. */
export async function expectVerify(url: string, key: string, code: string): Promise<void> {
  const res = await call<{ code?: string }>(url, { body: { key } });
  if (res.status !== 200 || res.body.code !== code) {
    throw new Error(`expected ${code} from ${url}, got ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** The same for v2's verify, which needs a root key and answers `{meta, data}`. */
export async function expectV2Verify(url: string, rootKey: string, key: string): Promise<void> {
  const res = await call<{ data?: { code?: string } }>(url, { body: { key }, token: rootKey });
  if (res.status !== 200 || res.body.data?.code !== "VALID") throw new Error(`expected VALID from ${url}, got ${res.status} ${JSON.stringify(res.body)}`);
}

export const verifyBodies = (keys: string[]): string[] => keys.map((key) => JSON.stringify({ key }));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
