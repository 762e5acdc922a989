import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

import type { Schemas } from "../../api/client";
import { errorMessage, uploadForm } from "../../api/http";
import { newClientId, optimisticMessage, type ThreadMessage } from "../../lib/chat";
import { useRealtime } from "../../realtime/RealtimeProvider";
import { useStoredState } from "../../lib/stored";
import { PaperclipIcon, SendIcon } from "../icons";
import { ProgressBar } from "../ui";

const TYPING_EVERY_MS = 3000;
const MAX_TEXT = 4000;
const MAX_FILE_BYTES = 10 * 1024 * 1024;
const ACCEPT = "image/png,image/jpeg,image/gif,image/webp,application/pdf";

interface Props {
  conversationId: number;
  me: number;
  disabled: boolean;
  disabledReason?: string;
  replyTo: ThreadMessage | null;
  onCancelReply: () => void;
  /** An optimistic or stored copy of a message this composer sent. */
  onLocal: (message: ThreadMessage) => void;
  onSent: () => void;
  lastSeq: number;
}

export function Composer({ conversationId, me, disabled, disabledReason, replyTo, onCancelReply, onLocal, onSent }: Props) {
  const realtime = useRealtime();
  // The draft survives a reload or a switch to another conversation (kept per user and conversation).
  const [text, setText, clearDraft] = useStoredState(`chat-draft:${me}:${conversationId}`, "");
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const lastTypingSent = useRef(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const textArea = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (replyTo) textArea.current?.focus();
  }, [replyTo]);

  // Grow with the text up to a few lines, then scroll inside.
  useEffect(() => {
    const el = textArea.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight + 2, 160)}px`;
  }, [text]);

  function stopTyping() {
    if (lastTypingSent.current) {
      lastTypingSent.current = 0;
      realtime.send("chat.typing", { conversation_id: conversationId, is_typing: false }, { queue: false });
    }
  }

  function onChange(value: string) {
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

  const [retry, setRetry] = useState<{ body: string; clientId: string; replyId: number | null } | null>(null);

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

  async function submit(event?: FormEvent) {
    event?.preventDefault();
    const body = text.trim();
    if (!body && !file) return;
    if (body.length > MAX_TEXT) {
      setError(`Messages can be at most ${MAX_TEXT} characters.`);
      return;
    }
    setError(null);
    setRetry(null);
    const clientId = newClientId();
    const replyId = replyTo?.id ?? null;
    const attached = file;
    clearDraft();
    setFile(null);
    if (fileInput.current) fileInput.current.value = "";
    stopTyping();
    onSent();
    if (attached) await sendFile(attached, body, clientId, replyId);
    else await sendText(body, clientId, replyId);
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void submit();
    }
    if (event.key === "Escape" && replyTo) onCancelReply();
  }

  function pickFile(picked: File | null) {
    setError(null);
    if (picked && picked.size > MAX_FILE_BYTES) {
      setError("That file is larger than 10 MB.");
      if (fileInput.current) fileInput.current.value = "";
      return;
    }
    setFile(picked);
  }

  if (disabled) {
    return (
      <div className="composer">
        <p className="muted">{disabledReason}</p>
      </div>
    );
  }

  return (
    <div className="composer">
      {replyTo && (
        <div className="composer-context">
          <span>
            Replying to: <em>{replyTo.text.slice(0, 80) || replyTo.attachment?.name || "attachment"}</em>
          </span>
          <button type="button" className="btn btn-small" onClick={onCancelReply}>
            Cancel reply
          </button>
        </div>
      )}
      {file && (
        <div className="composer-context">
          <span>
            <PaperclipIcon /> {file.name}
          </span>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => {
              setFile(null);
              if (fileInput.current) fileInput.current.value = "";
            }}
          >
            Remove
          </button>
        </div>
      )}
      {progress !== null && <ProgressBar value={progress} label="Upload progress" />}
      {error && (
        <div className="field-error" role="alert">
          {error}{" "}
          {retry && (
            <button
              type="button"
              className="btn btn-small"
              onClick={() => {
                const again = retry;
                setRetry(null);
                setError(null);
                // Same client_id: if the first try did reach the server, no duplicate appears.
                void sendText(again.body, again.clientId, again.replyId);
              }}
            >
              Retry
            </button>
          )}
        </div>
      )}
      <form onSubmit={submit}>
        <label className="btn btn-icon" title="Attach a file or image">
          <PaperclipIcon />
          <span className="visually-hidden">Attach a file or image</span>
          <input
            ref={fileInput}
            type="file"
            accept={ACCEPT}
            className="visually-hidden"
            onChange={(e) => pickFile(e.target.files?.[0] ?? null)}
          />
        </label>
        <label className="visually-hidden" htmlFor={`composer-${conversationId}`}>
          Message
        </label>
        <textarea
          id={`composer-${conversationId}`}
          ref={textArea}
          rows={1}
          value={text}
          placeholder={`Write a message…`}
          aria-describedby={`composer-hint-${conversationId}`}
          maxLength={MAX_TEXT + 100}
          onChange={(e) => onChange(e.target.value)}
          onKeyDown={onKeyDown}
          onBlur={stopTyping}
        />
        <button type="submit" className="btn btn-primary composer-send" disabled={!text.trim() && !file} aria-label="Send">
          <SendIcon />
          <span className="send-label">Send</span>
        </button>
      </form>
      <p className="composer-hint muted" id={`composer-hint-${conversationId}`}>
        Enter sends, Shift+Enter starts a new line.
      </p>
    </div>
  );
}
