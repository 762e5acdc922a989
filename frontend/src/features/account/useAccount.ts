/**
 * Account settings data: the profile (load and partial saves), email and password changes, API
 * tokens. Errors keep the server's ApiError so forms can put each message under its field.
 */
import { useState } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { ApiError, errorMessage } from "../../api/http";
import { useAuth } from "../../auth/AuthContext";
import { useAsync } from "../../lib/useAsync";

export type Profile = Schemas["Profile"];
export type ApiToken = Schemas["ApiToken"];

const asApiError = (err: unknown) => (err instanceof ApiError ? err : new ApiError(0, null));

export function useProfile() {
  return useAsync(() => unwrap(api.GET("/api/v1/auth/profile/")), []);
}

/** Saves part of the profile, then refreshes who is signed in (zone and clock apply everywhere). */
export function useSaveProfile(onSaved: (p: Profile) => void) {
  const { refresh } = useAuth();
  const [error, setError] = useState<ApiError | null>(null);
  const [other, setOther] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  async function save(body: Schemas["PatchedProfileRequest"]) {
    setBusy(true);
    setSaved(false);
    setError(null);
    setOther(null);
    try {
      const next = await unwrap(api.PATCH("/api/v1/auth/profile/", { body }));
      onSaved(next);
      await refresh(); // every page now shows times in the new zone and clock
      setSaved(true);
    } catch (err) {
      if (err instanceof ApiError) setError(err);
      else setOther(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }
  return { save, error, other, saved, busy };
}

/**
 * A form that posts once and shows the server's answer (`detail`): email change, password
 * change. `submit` resolves true on success so the form can clear its secrets.
 */
function useDetailForm<B>(send: (body: B) => Promise<{ detail: string }>) {
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(body: B): Promise<boolean> {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      setDone((await send(body)).detail);
      return true;
    } catch (err) {
      setError(asApiError(err));
      return false;
    } finally {
      setBusy(false);
    }
  }
  return { submit, error, done, busy };
}

export function useEmailChange() {
  return useDetailForm((body: Schemas["EmailChangeRequest"]) => unwrap(api.POST("/api/v1/auth/email/change/", { body })));
}

export function usePasswordChange() {
  return useDetailForm((body: Schemas["PasswordChangeRequest"]) => unwrap(api.POST("/api/v1/auth/password/change/", { body })));
}

/** API tokens: listed, created (the key is shown once), revoked. */
export function useApiTokens() {
  const list = useAsync(() => unwrap(api.GET("/api/v1/auth/tokens/")), []);
  const [created, setCreated] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  async function create(name: string): Promise<boolean> {
    setError(null);
    try {
      const res = await unwrap(api.POST("/api/v1/auth/tokens/", { body: { name: name.trim() } }));
      setCreated(res.key);
      await list.reload();
      return true;
    } catch (err) {
      setError(asApiError(err));
      return false;
    }
  }

  async function revoke(id: number) {
    setError(null);
    try {
      await unwrap(api.DELETE("/api/v1/auth/tokens/{id}/", { params: { path: { id } } }));
      await list.reload();
    } catch (err) {
      setError(asApiError(err));
    }
  }

  const loadError = list.error && !error ? new ApiError(0, { detail: list.error }) : null;
  return { tokens: list.data ?? null, created, error: error ?? loadError, create, revoke };
}
