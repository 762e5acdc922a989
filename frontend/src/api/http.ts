/**
 * Transport shared by every API call: same-origin session cookie, Django's CSRF header on
 * unsafe methods, and one error type whatever the backend's error body looks like.
 */

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

export function readCookie(name: string): string | null {
  const prefix = `${name}=`;
  for (const part of document.cookie.split(";")) {
    const item = part.trim();
    if (item.startsWith(prefix)) return decodeURIComponent(item.slice(prefix.length));
  }
  return null;
}

export function csrfHeaders(method: string): Record<string, string> {
  if (SAFE_METHODS.has(method.toUpperCase())) return {};
  const token = readCookie("csrftoken");
  return token ? { "X-CSRFToken": token } : {};
}

export type FieldErrors = Record<string, string[]>;

/** Error body of the backend: {"error": {code, message, fields}, "detail", <field>: [msg], **extra}. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldErrors;
  readonly body: Record<string, unknown>;

  constructor(status: number, body: unknown) {
    const obj = body && typeof body === "object" ? (body as Record<string, unknown>) : {};
    const err = (obj.error && typeof obj.error === "object" ? obj.error : {}) as {
      code?: string;
      message?: string;
      fields?: FieldErrors;
    };
    const message =
      err.message ||
      (typeof obj.detail === "string" ? obj.detail : "") ||
      (status === 0 ? "Network error: the server could not be reached." : `Request failed (${status}).`);
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = err.code || (status === 0 ? "network_error" : `http_${status}`);
    this.fields = normaliseFields(err.fields ?? collectFieldLists(obj));
    this.body = obj;
  }

  /** First message for a form field, if the server named it. */
  field(name: string): string | undefined {
    return this.fields[name]?.[0];
  }
}

function normaliseFields(fields: unknown): FieldErrors {
  const out: FieldErrors = {};
  if (!fields || typeof fields !== "object") return out;
  for (const [key, value] of Object.entries(fields as Record<string, unknown>)) {
    if (Array.isArray(value)) out[key] = value.map(String);
    else if (typeof value === "string") out[key] = [value];
  }
  return out;
}

function collectFieldLists(obj: Record<string, unknown>): FieldErrors {
  const out: FieldErrors = {};
  for (const [key, value] of Object.entries(obj)) {
    if (key === "error" || key === "detail") continue;
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) out[key] = value as string[];
  }
  return out;
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return "Something went wrong.";
}

export async function parseBody(response: Response): Promise<unknown> {
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 200) };
  }
}

export interface UploadOptions {
  method?: string;
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

/**
 * Multipart upload through XMLHttpRequest, because fetch cannot report upload progress.
 */
export function uploadForm<T>(url: string, form: FormData, options: UploadOptions = {}): Promise<T> {
  const method = options.method ?? "POST";
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.withCredentials = true;
    xhr.setRequestHeader("Accept", "application/json");
    for (const [key, value] of Object.entries(csrfHeaders(method))) xhr.setRequestHeader(key, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && options.onProgress) options.onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = { detail: xhr.responseText.slice(0, 200) };
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        options.onProgress?.(1);
        resolve(body as T);
      } else reject(new ApiError(xhr.status, body));
    };
    xhr.onerror = () => reject(new ApiError(0, null));
    xhr.onabort = () => reject(new ApiError(0, { detail: "Upload cancelled." }));
    options.signal?.addEventListener("abort", () => xhr.abort());
    xhr.send(form);
  });
}
