import { useRef, useState } from "react";

import type { Schemas } from "../../api/client";
import { api, unwrap } from "../../api/client";
import { errorMessage, uploadForm } from "../../api/http";
import { Avatar } from "../Avatar";
import { ProgressBar } from "../ui";
import styles from "./PhotoEditor.module.css";

type Profile = Schemas["ExpertProfile"];

const ACCEPTED = ["image/png", "image/jpeg", "image/webp"];
export const MAX_PHOTO_BYTES = 5 * 1024 * 1024;

/** Checks what the browser can tell before uploading; the server checks the bytes again. */
export function photoProblem(file: Pick<File, "type" | "size">): string | null {
  if (file.type && !ACCEPTED.includes(file.type)) return "Choose a PNG, JPEG or WebP photo.";
  if (file.size > MAX_PHOTO_BYTES) return "That photo is larger than 5 MB; choose a smaller one.";
  if (file.size === 0) return "That file is empty.";
  return null;
}

/** Upload, replace or remove the expert's photo; shows the stored (cropped) result. */
export function PhotoEditor({ profile, onChanged }: { profile: Profile; onChanged: (p: Profile) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const busy = progress !== null;

  async function upload(file: File) {
    setDone(null);
    const problem = photoProblem(file);
    if (problem) {
      setError(problem);
      return;
    }
    setError(null);
    setProgress(0);
    const form = new FormData();
    form.append("photo", file);
    try {
      const updated = await uploadForm<Profile>("/api/v1/consultations/experts/me/photo/", form, { onProgress: setProgress });
      onChanged(updated);
      setDone("Photo saved. It is cropped to a square and shown on your profile, cards and chats.");
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setProgress(null);
      if (input.current) input.current.value = "";
    }
  }

  async function remove() {
    setDone(null);
    setError(null);
    try {
      const updated = await unwrap(api.DELETE("/api/v1/consultations/experts/me/photo/"));
      onChanged(updated);
      setDone("Photo removed; your initials are shown instead.");
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  const hasPicture = !!profile.avatar_url;
  return (
    <div className={styles.photo} data-testid="photo-editor">
      <Avatar name={profile.name} url={profile.avatar_url} size={112} />
      <div className={styles.controls}>
        <p className={styles.help}>
          A clear, friendly photo of your face. PNG, JPEG or WebP up to 5 MB; it is cropped to a square.
        </p>
        <div className={styles.buttons}>
          <label className={`btn btn-primary btn-small${busy ? " disabled" : ""}`}>
            {hasPicture ? "Replace photo" : "Upload photo"}
            <input
              ref={input}
              className="visually-hidden"
              type="file"
              name="photo"
              accept="image/png,image/jpeg,image/webp"
              disabled={busy}
              data-testid="photo-input"
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) void upload(file);
              }}
            />
          </label>
          {hasPicture && (
            <button type="button" className="btn btn-small" onClick={() => void remove()} disabled={busy}>
              Remove photo
            </button>
          )}
        </div>
        {busy && <ProgressBar value={progress ?? 0} label="Photo upload progress" />}
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        {done && (
          <p className={styles.done} role="status">
            {done}
          </p>
        )}
      </div>
    </div>
  );
}
