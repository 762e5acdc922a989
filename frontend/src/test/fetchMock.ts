import { vi } from "vitest";

type Handler = (url: URL, init: { method: string; body: unknown }) => { status: number; body?: unknown } | undefined;

/** Replaces fetch with a router over (method, path); unmatched calls fail the test loudly. */
export function mockFetch(handler: Handler) {
  const calls: Array<{ method: string; path: string; body: unknown; headers: Headers }> = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(request.url);
    const text = request.method === "GET" ? "" : await request.clone().text();
    const body = text ? JSON.parse(text) : null;
    calls.push({ method: request.method, path: url.pathname, body, headers: request.headers });
    const result = handler(url, { method: request.method, body });
    if (!result) throw new Error(`unexpected ${request.method} ${url.pathname}`);
    return new Response(result.body === undefined ? null : JSON.stringify(result.body), {
      status: result.status,
      headers: { "Content-Type": "application/json" },
    });
  });
  vi.stubGlobal("fetch", fn);
  return calls;
}
