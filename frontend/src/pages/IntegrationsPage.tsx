import { useState } from "react";

import { ExternalCalendarsSection } from "../components/integrations/ExternalCalendarsSection";
import { WebhooksSection } from "../components/integrations/WebhooksSection";
import { useRealtimeEvent } from "../realtime/RealtimeProvider";

/** Expert → Integrations: external calendars (busy times) and webhooks. */
export function IntegrationsPage() {
  const [feedVersion, setFeedVersion] = useState(0);
  const [hookVersion, setHookVersion] = useState(0);
  useRealtimeEvent(["calendar_source.synced", "session.ready"], () => setFeedVersion((v) => v + 1));
  useRealtimeEvent(["webhook.delivery", "session.ready"], () => setHookVersion((v) => v + 1));
  return (
    <div className="stack">
      <h1>Integrations</h1>
      <ExternalCalendarsSection version={feedVersion} />
      <WebhooksSection version={hookVersion} />
    </div>
  );
}
