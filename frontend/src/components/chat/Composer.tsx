import { useEffect, useRef, type FormEvent, type KeyboardEvent } from "react";

import { MAX_TEXT, useChatComposer } from "../../features/chat/useChatComposer";
import type { ThreadMessage } from "../../lib/chat";
import { PaperclipIcon, SendIcon } from "../icons";
import { ProgressBar } from "../ui";
import styles from "./chat.module.css";

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
  const composer = useChatComposer({ conversationId, me, replyTo, onLocal, onSent });
  const { text, file, progress, error } = composer;
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

  function clearFileInput() {
    if (fileInput.current) fileInput.current.value = "";
  }

  function submit(event?: FormEvent) {
    event?.preventDefault();
    // The file leaves with this send (the hook refuses over-long text and keeps the file then).
    if (file && text.trim().length <= MAX_TEXT) clearFileInput();
    void composer.submit();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
    if (event.key === "Escape" && replyTo) onCancelReply();
  }

  if (disabled) {
    return (
      <div className={styles.composer}>
        <p className="muted">{disabledReason}</p>
      </div>
    );
  }

  return (
    <div className={styles.composer}>
      {replyTo && (
        <div className={styles.composerContext}>
          <span>
            Replying to: <em>{replyTo.text.slice(0, 80) || replyTo.attachment?.name || "attachment"}</em>
          </span>
          <button type="button" className="btn btn-small" onClick={onCancelReply}>
            Cancel reply
          </button>
        </div>
      )}
      {file && (
        <div className={styles.composerContext}>
          <span>
            <PaperclipIcon /> {file.name}
          </span>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => {
              composer.pickFile(null);
              clearFileInput();
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
          {composer.retry && (
            <button type="button" className="btn btn-small" onClick={composer.retrySend}>
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
            onChange={(e) => {
              if (!composer.pickFile(e.target.files?.[0] ?? null)) clearFileInput();
            }}
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
          onChange={(e) => composer.edit(e.target.value)}
          onKeyDown={onKeyDown}
          onBlur={composer.stopTyping}
        />
        <button type="submit" className={`btn btn-primary ${styles.composerSend}`} disabled={!text.trim() && !file} aria-label="Send">
          <SendIcon />
          <span className={styles.sendLabel}>Send</span>
        </button>
      </form>
      <p className={`${styles.composerHint} muted`} id={`composer-hint-${conversationId}`}>
        Enter sends, Shift+Enter starts a new line.
      </p>
    </div>
  );
}
