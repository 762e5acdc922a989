/**
 * Integrations data: external calendars (busy times), webhook endpoints and their deliveries,
 * the personal calendar feed. `version` changes when a live event says the server has news
 * (IntegrationsPage bumps it), and the lists then fetch again.
 */
import { useEffect, useState } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { ApiError, errorMessage } from "../../api/http";
import { useAsync, type AsyncState } from "../../lib/useAsync";

export type Feed = Schemas["ExternalCalendar"];
export type Endpoint = Schemas["WebhookEndpoint"];
export type Delivery = Schemas["WebhookDelivery"];

/** Fetches `state` again each time `version` moves past 0. */
function useRefetchOn<T>(state: AsyncState<T>, version: number) {
  const { reload } = state;
  useEffect(() => {
    if (version) void reload();
  }, [version, reload]);
}

export function useExternalCalendars(version = 0) {
  const feeds = useAsync(() => unwrap(api.GET("/api/v1/integrations/calendars/")), []);
  const [error, setError] = useState<ApiError | string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useRefetchOn(feeds, version);

  /** Adds a calendar by its iCal address; true when added. */
  async function add(url: string, name: string): Promise<boolean> {
    if (!url.trim()) {
      setError("Paste the calendar's secret iCal address.");
      return false;
    }
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const created = await unwrap(api.POST("/api/v1/integrations/calendars/", { body: { url: url.trim(), name } }));
      feeds.setData((prev) => [...(prev ?? []), created]);
      setNotice("Calendar added. Its busy times block your booking slots from now on.");
      return true;
    } catch (err) {
      setError(err instanceof ApiError ? err : errorMessage(err));
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function act(f: Feed, action: "sync" | "pause" | "resume" | "remove") {
    setError(null);
    setNotice(null);
    try {
      if (action === "remove") {
        if (!window.confirm(`Remove “${f.name || f.url_display}”? Its busy times stop blocking your slots.`)) return;
        await unwrap(api.DELETE("/api/v1/integrations/calendars/{id}/", { params: { path: { id: f.id } } }));
        feeds.setData((prev) => (prev ?? []).filter((x) => x.id !== f.id));
        return;
      }
      const updated =
        action === "sync"
          ? await unwrap(api.POST("/api/v1/integrations/calendars/{id}/sync/", { params: { path: { id: f.id } } }))
          : await unwrap(api.PATCH("/api/v1/integrations/calendars/{id}/", { params: { path: { id: f.id } }, body: { enabled: action === "resume" } }));
      feeds.setData((prev) => (prev ?? []).map((x) => (x.id === f.id ? updated : x)));
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  return { feeds, add, act, error, notice, busy };
}

export function useWebhooks(version = 0) {
  const endpoints = useAsync(() => unwrap(api.GET("/api/v1/integrations/webhooks/")), []);
  const [error, setError] = useState<ApiError | string | null>(null);
  const [secret, setSecret] = useState<{ id: number; secret: string } | null>(null);
  const [busy, setBusy] = useState(false);
  useRefetchOn(endpoints, version);

  /** Adds an endpoint; its signing secret is kept to be shown once. True when added. */
  async function add(url: string, events: Schemas["EventsEnum"][], description: string): Promise<boolean> {
    setError(null);
    if (!url.trim().startsWith("https://")) {
      setError("Use an https:// address.");
      return false;
    }
    if (!events.length) {
      setError("Choose at least one event.");
      return false;
    }
    setBusy(true);
    try {
      const created = await unwrap(api.POST("/api/v1/integrations/webhooks/", { body: { url: url.trim(), events, description } }));
      endpoints.setData((prev) => [...(prev ?? []), created]);
      setSecret({ id: created.id, secret: created.secret });
      return true;
    } catch (err) {
      setError(err instanceof ApiError ? err : errorMessage(err));
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function act(e: Endpoint, action: "pause" | "resume" | "rotate" | "delete") {
    setError(null);
    try {
      if (action === "delete") {
        if (!window.confirm(`Delete the webhook to ${e.url}? Its delivery log goes too.`)) return;
        await unwrap(api.DELETE("/api/v1/integrations/webhooks/{id}/", { params: { path: { id: e.id } } }));
        endpoints.setData((prev) => (prev ?? []).filter((x) => x.id !== e.id));
        return;
      }
      if (action === "rotate") {
        if (!window.confirm("Make a new signing secret? Signatures made with the old one stop verifying.")) return;
        const rotated = await unwrap(api.POST("/api/v1/integrations/webhooks/{id}/rotate-secret/", { params: { path: { id: e.id } } }));
        setSecret({ id: rotated.id, secret: rotated.secret });
        endpoints.setData((prev) => (prev ?? []).map((x) => (x.id === e.id ? rotated : x)));
        return;
      }
      const updated = await unwrap(
        api.PATCH("/api/v1/integrations/webhooks/{id}/", { params: { path: { id: e.id } }, body: { active: action === "resume" } }),
      );
      endpoints.setData((prev) => (prev ?? []).map((x) => (x.id === e.id ? updated : x)));
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  return { endpoints, add, act, error, secret, busy };
}

export function useDeliveries(endpointId: number, version = 0) {
  const deliveries = useAsync(
    () => unwrap(api.GET("/api/v1/integrations/webhooks/{id}/deliveries/", { params: { path: { id: endpointId } } })),
    [endpointId],
  );
  const [notice, setNotice] = useState<string | null>(null);
  useRefetchOn(deliveries, version);

  /** Queues a delivery again; the copy goes on top. */
  async function replay(d: Delivery) {
    try {
      const copy = await unwrap(api.POST("/api/v1/integrations/webhooks/deliveries/{delivery_id}/replay/", { params: { path: { delivery_id: d.id } } }));
      deliveries.setData((prev) => [copy, ...(prev ?? [])]);
      setNotice(`${d.event_type} queued again.`);
    } catch (err) {
      setNotice(errorMessage(err));
    }
  }

  return { deliveries, replay, notice };
}

export function useCalendarFeed() {
  const feed = useAsync(() => unwrap(api.GET("/api/v1/integrations/calendar-feed/")), []);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  /** Makes a new secret address (after the user confirms); true when made. */
  async function regenerate(): Promise<boolean> {
    if (!window.confirm("Make a new address? Calendars using the old one stop updating until you add the new one.")) return false;
    setBusy(true);
    setError(null);
    try {
      feed.setData(await unwrap(api.POST("/api/v1/integrations/calendar-feed/regenerate/")));
      return true;
    } catch (err) {
      setError(errorMessage(err));
      return false;
    } finally {
      setBusy(false);
    }
  }

  return { feed, regenerate, error, busy };
}
