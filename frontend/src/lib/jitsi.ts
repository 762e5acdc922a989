/**
 * Loads Jitsi's iframe API (external_api.js) from the meeting's own domain, once per domain.
 * Resolves with the constructor, or rejects (never throws synchronously) when the script is
 * blocked, offline or too slow, so the call page can fall back to a plain link.
 */

export interface JitsiApi {
  addListener(event: string, handler: (...args: unknown[]) => void): void;
  executeCommand(command: string, ...args: unknown[]): void;
  dispose(): void;
}

export type JitsiConstructor = new (
  domain: string,
  options: {
    roomName: string;
    jwt?: string;
    parentNode: HTMLElement;
    width?: string | number;
    height?: string | number;
    userInfo?: { displayName?: string; email?: string };
    configOverwrite?: Record<string, unknown>;
    interfaceConfigOverwrite?: Record<string, unknown>;
  },
) => JitsiApi;

declare global {
  interface Window {
    JitsiMeetExternalAPI?: JitsiConstructor;
  }
}

const loading = new Map<string, Promise<JitsiConstructor>>();

export function loadJitsiApi(domain: string, timeoutMs = 15_000): Promise<JitsiConstructor> {
  if (window.JitsiMeetExternalAPI) return Promise.resolve(window.JitsiMeetExternalAPI);
  const cached = loading.get(domain);
  if (cached) return cached;
  const promise = new Promise<JitsiConstructor>((resolve, reject) => {
    const script = document.createElement("script");
    script.src = `https://${domain}/external_api.js`;
    script.async = true;
    const timer = window.setTimeout(() => fail(new Error("The video service took too long to load.")), timeoutMs);
    function fail(err: Error) {
      window.clearTimeout(timer);
      loading.delete(domain);
      script.remove();
      reject(err);
    }
    script.onload = () => {
      window.clearTimeout(timer);
      if (window.JitsiMeetExternalAPI) resolve(window.JitsiMeetExternalAPI);
      else fail(new Error("The video service loaded but did not start."));
    };
    script.onerror = () => fail(new Error("The video service could not be reached."));
    document.head.appendChild(script);
  });
  loading.set(domain, promise);
  return promise;
}
