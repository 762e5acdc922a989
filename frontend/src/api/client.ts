/**
 * Typed REST client: paths and bodies come from the generated OpenAPI types (schema.d.ts),
 * so a backend change that breaks the UI fails `npm run typecheck`.
 */
import createClient, { type Middleware } from "openapi-fetch";

import { ApiError, csrfHeaders, parseBody } from "./http";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

const csrf: Middleware = {
  onRequest({ request }) {
    for (const [key, value] of Object.entries(csrfHeaders(request.method))) {
      request.headers.set(key, value);
    }
    request.headers.set("Accept", "application/json");
    return request;
  },
};

export const api = createClient<paths>({
  baseUrl: typeof window === "undefined" ? "http://localhost" : window.location.origin,
  credentials: "same-origin",
  // Looked up per call, not captured at import, so tests (and polyfills) can replace it.
  fetch: (request: Request) => globalThis.fetch(request),
});
api.use(csrf);

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Turns openapi-fetch's {data, error} into a value or a thrown ApiError. */
export async function unwrap<T>(pending: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await pending;
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(0, null);
  }
  const { data, error, response } = result;
  if (!response.ok) {
    const body = error ?? (await parseBody(response).catch(() => null));
    throw new ApiError(response.status, body);
  }
  return data as T;
}
