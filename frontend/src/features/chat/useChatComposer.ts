/**
 * Writing and sending in one conversation: the draft (kept in localStorage per user and
 * conversation), typing notices, an optimistic copy shown at once and replaced by the server's
 * acknowledgement, retry with the same client_id, attachments uploaded with progress.
 */
import { useRef, useState } from "react";

import type { Schemas } from "../../api/client";
import { errorMessage, uploadForm } from "../../api/http";
import { newClientId, optimisticMessage, type ThreadMessage } from "../../lib/chat";
import { useStoredState } from "../../lib/stored";
import { useRealtime } from "../../realtime/RealtimeProvider";

export const TYPING_EVERY_MS = 3000;
export const MAX_TEXT = 4000;
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

interface Retry {
  body: string;
  clientId: string;
  replyId: number | null;
}

export interface ChatComposerOptions {
  conversationId: number;
  me: number;
  replyTo: ThreadMessage | null;
  /** An optimistic or stored copy of a message this composer sent. */
  onLocal: (message: ThreadMessage) => void;
  /** Called as a message leaves (the reply context is done). */
  onSent: () => void;
}

export function useChatComposer({ conversationId, me, replyTo, onLocal, onSent }: ChatComposerOptions) {
  const realtime = useRealtime();
  // The draft survives a reload or a switch to another conversation (kept per user and conversation).
  const [text, setText, clearDraft] = useStoredState(`chat-draft:${me}:${conversationId}`, "");
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [retry, setRetry] = useState<Retry | null>(null);
  const lastTypingSent = useRef(0);

  function stopTyping() {
    if (lastTypingSent.current) {
      lastTypingSent.current = 0;
      realtime.send("chat.typing", { conversation_id: conversationId, is_typing: false }, { queue: false });
    }
  }

  /** The text changed: keep it and tell the other side we are typing (at most every 3 s). */
  function edit(value: string) {
    setText(value);
    const now = Date.now();
    if (value && now - lastTypingSent.current > TYPING_EVERY_MS) {
      lastTypingSent.current = now;
      realtime.send("chat.typing", { conversation_id: conversationId, is_typing: true }, { queue: false });
    }
    if (!value) stopTyping();
  }

  async function sendText(body: string, clientId: string, replyId: number | null) {
    const optimistic = optimisticMessage({ conversationId, senderId: me, text: body, clientId, replyTo: replyId });
    onLocal(optimistic);
    try {
      // Resent after a reconnect if unanswered; the server drops a repeat of the same client_id.
      const reply = await realtime.request(
        "chat.send",
        { conversation_id: conversationId, text: body, client_id: clientId, reply_to: replyId },
        { resend: true, timeoutMs: 20_000 },
      );
      const stored = (reply.message ?? reply) as ThreadMessage;
      onLocal({ ...stored, pending: undefined });
    } catch (err) {
      onLocal({ ...optimistic, pending: "failed" });
      setError(`${errorMessage(err)} Your message was not sent.`);
      setRetry({ body, clientId, replyId });
    }
  }

  async function sendFile(attached: File, caption: string, clientId: string, replyId: number | null) {
    const optimistic = optimisticMessage({
      conversationId,
      senderId: me,
      text: caption,
      clientId,
      replyTo: replyId,
      attachmentName: attached.name,
    });
    onLocal({ ...optimistic, progress: 0 });
    setProgress(0);
    const form = new FormData();
    form.append("attachment", attached);
    form.append("client_id", clientId);
    if (caption) form.append("text", caption);
    if (replyId) form.append("reply_to", String(replyId));
    try {
      const stored = await uploadForm<Schemas["SendResult"]>(`/api/v1/consultations/chat/${conversationId}/send/`, form, {
        onProgress: (p) => {
          setProgress(p);
          onLocal({ ...optimistic, progress: p });
        },
      });
      onLocal({ ...stored, pending: undefined });
    } catch (err) {
      onLocal({ ...optimistic, pending: "failed" });
      setError(`${errorMessage(err)} The file was not sent.`);
    } finally {
      setProgress(null);
    }
  }

  /** Sends the draft (and the chosen file); true when something left. */
  async function submit(): Promise<boolean> {
    const body = text.trim();
    if (!body && !file) return false;
    if (body.length > MAX_TEXT) {
      setError(`Messages can be at most ${MAX_TEXT} characters.`);
      return false;
    }
    setError(null);
    setRetry(null);
    const clientId = newClientId();
    const replyId = replyTo?.id ?? null;
    const attached = file;
    clearDraft();
    setFile(null);
    stopTyping();
    onSent();
    if (attached) await sendFile(attached, body, clientId, replyId);
    else await sendText(body, clientId, replyId);
    return true;
  }

  /** Sends a failed text again with the same client_id: no duplicate if the first try arrived. */
  function retrySend() {
    if (!retry) return;
    const again = retry;
    setRetry(null);
    setError(null);
    void sendText(again.body, again.clientId, again.replyId);
  }

  /** Picks (or clears) the attachment; false when the file is refused (too large). */
  function pickFile(picked: File | null): boolean {
    setError(null);
    if (picked && picked.size > MAX_FILE_BYTES) {
      setError("That file is larger than 10 MB.");
      return false;
    }
    setFile(picked);
    return true;
  }

  return { text, edit, file, pickFile, progress, error, retry: retry !== null, retrySend, submit, stopTyping };
}
