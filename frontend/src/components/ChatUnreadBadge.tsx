import { useEffect, useState } from "react";

import { api, unwrap } from "../api/client";
import { useRealtimeEvent } from "../realtime/RealtimeProvider";

/** Total unread chat messages, kept live by `chat.unread` events. */
export function ChatUnreadBadge() {
  const [total, setTotal] = useState(0);

  useEffect(() => {
    let live = true;
    unwrap(api.GET("/api/v1/consultations/chat/unread-count/"))
      .then((d) => live && setTotal(d.total))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);

  useRealtimeEvent("chat.unread", (e) => {
    if (typeof e.data.total === "number") setTotal(e.data.total);
  });
  useRealtimeEvent("chat.resume.ok", (e) => {
    const convs = e.data.conversations;
    if (Array.isArray(convs)) setTotal(convs.reduce((sum: number, c: { unread?: number }) => sum + (c.unread ?? 0), 0));
  });

  if (!total) return null;
  return (
    <span className="count-badge" data-testid="chat-unread-total">
      {total > 99 ? "99+" : total}
      <span className="visually-hidden"> unread</span>
    </span>
  );
}
