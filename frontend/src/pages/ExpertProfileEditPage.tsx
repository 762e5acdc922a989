import { useEffect, useState, type FormEvent } from "react";
import { Link, useLocation } from "react-router-dom";

import { api, unwrap, type Schemas } from "../api/client";
import { ApiError, errorMessage } from "../api/http";
import { useAuth } from "../auth/AuthContext";
import { PhotoEditor } from "../components/profile/PhotoEditor";
import { ErrorBox, Loading, TextArea, TextField } from "../components/ui";
import { languageName } from "../lib/languages";
import { useStoredState } from "../lib/stored";
import { useAsync } from "../lib/useAsync";
import { paths } from "../routes";
import styles from "./ExpertProfileEditPage.module.css";
import chips from "../components/Chips.module.css";

type Profile = Schemas["ExpertProfile"];

/** A bio this long reads as "a few sentences"; the dashboard checklist uses the same bar. */
export const MIN_BIO_LENGTH = 40;
const MAX_BIO_LENGTH = 5000;

/** Offered as toggles; codes the expert already has are shown too. */
const COMMON_LANGUAGES = ["en", "es", "fr", "de", "pt", "it", "nl", "pl", "ru", "uk", "tr", "ar", "he", "hi", "zh", "ja", "ko", "id", "vi", "sv"];

interface Draft {
  name: string;
  headline: string;
  bio: string;
  expertise: string;
  languages: string[];
}

function draftOf(p: Profile): Draft {
  return { name: p.name, headline: p.headline, bio: p.bio, expertise: p.expertise_areas.join(", "), languages: p.languages };
}

/** A short, stable fingerprint of a string (djb2), for storage keys. */
function hashText(text: string): string {
  let h = 5381;
  for (let i = 0; i < text.length; i++) h = ((h << 5) + h + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}

export function splitTags(text: string): string[] {
  const seen = new Set<string>();
  return text
    .split(",")
    .map((t) => t.trim().replace(/\s+/g, " "))
    .filter((t) => t && !seen.has(t.toLowerCase()) && seen.add(t.toLowerCase()));
}

export function ExpertProfileEditPage() {
  const profile = useAsync(() => unwrap(api.GET("/api/v1/consultations/experts/me/")), []);
  if (profile.loading && !profile.data) return <Loading label="Loading your profile…" />;
  if (!profile.data) return <ErrorBox message={profile.error ?? "Could not load your profile."} onRetry={() => void profile.reload()} />;
  return <Editor initial={profile.data} />;
}

function Editor({ initial }: { initial: Profile }) {
  const { user } = useAuth();
  const [saved, setSaved] = useState<Profile>(initial);
  // Unsaved edits survive a reload. The key names the saved text they started from (not
  // updated_at, which a photo upload also moves), so a save or an edit in another tab starts a
  // fresh draft from what is stored.
  const [draft, setDraft, clearDraft] = useStoredState<Draft>(`profile-draft:${user?.id ?? 0}:${hashText(JSON.stringify(draftOf(saved)))}`, draftOf(saved));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const { hash } = useLocation();

  // The dashboard checklist links to #photo and #about: bring that section into view.
  useEffect(() => {
    if (hash) document.getElementById(hash.slice(1))?.scrollIntoView({ block: "start" });
  }, [hash]);

  const set = (k: "name" | "headline" | "bio" | "expertise") => (e: { target: { value: string } }) => {
    setNotice(null);
    setDraft((d) => ({ ...d, [k]: e.target.value }));
  };
  const toggleLanguage = (code: string) => {
    setNotice(null);
    setDraft((d) => ({ ...d, languages: d.languages.includes(code) ? d.languages.filter((c) => c !== code) : [...d.languages, code] }));
  };
  const offered = [...new Set([...COMMON_LANGUAGES, ...saved.languages, ...draft.languages])];
  const dirty = JSON.stringify(draft) !== JSON.stringify(draftOf(saved));

  async function save(event: FormEvent) {
    event.preventDefault();
    if (!draft.name.trim()) {
      setError(new ApiError(400, { error: { code: "required", message: "Your name is needed.", fields: { name: ["Your name is needed."] } } }));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const updated = await unwrap(
        api.PATCH("/api/v1/consultations/experts/me/", {
          body: {
            name: draft.name.trim(),
            headline: draft.headline.trim(),
            bio: draft.bio.trim(),
            expertise_areas: splitTags(draft.expertise),
            languages: draft.languages,
          },
        }),
      );
      clearDraft();
      setSaved(updated);
      setNotice("Profile saved. Clients see the changes right away.");
    } catch (err) {
      setError(err instanceof ApiError ? err : errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const apiErr = error instanceof ApiError ? error : null;
  const f = (k: string) => apiErr?.field(k);
  const known = ["name", "headline", "bio", "expertise_areas", "languages"];
  const bioLength = draft.bio.trim().length;

  return (
    <div className="page">
      <div className="section-head">
        <h1>Your public profile</h1>
        <Link className="btn btn-small" to={paths.expert(saved.id)}>
          See it as clients do
        </Link>
      </div>

      <section className={`card ${styles.section}`} aria-labelledby="photo-h" id="photo">
        <h2 id="photo-h">Photo</h2>
        <PhotoEditor
          profile={saved}
          // Only the photo fields: the text being edited stays as it is.
          onChanged={(p) => setSaved((s) => ({ ...s, avatar_url: p.avatar_url, avatar_thumb_url: p.avatar_thumb_url, has_photo: p.has_photo }))}
        />
      </section>

      <form className={`card ${styles.section}`} onSubmit={save} noValidate aria-labelledby="about-h" id="about">
        <h2 id="about-h">About you</h2>
        <TextField label="Name" value={draft.name} onChange={set("name")} maxLength={150} required autoComplete="name" error={f("name")} />
        <TextField
          label="Headline"
          value={draft.headline}
          onChange={set("headline")}
          maxLength={200}
          placeholder="e.g. Immigration lawyer for EU work visas"
          hint="One line under your name on cards and your profile."
          error={f("headline")}
        />
        <TextArea
          label="Bio"
          value={draft.bio}
          onChange={set("bio")}
          maxLength={MAX_BIO_LENGTH}
          rows={7}
          hint={
            bioLength < MIN_BIO_LENGTH
              ? `A few sentences about who you help and how (at least ${MIN_BIO_LENGTH} characters; ${bioLength} so far).`
              : `${bioLength} of ${MAX_BIO_LENGTH} characters.`
          }
          error={f("bio")}
        />
        <TextField
          label="Expertise"
          value={draft.expertise}
          onChange={set("expertise")}
          placeholder="e.g. Work visas, Residence permits"
          hint="Topics clients search for, separated by commas."
          error={f("expertise_areas")}
        />
        <fieldset className={styles.languages}>
          <legend>Languages you consult in</legend>
          <div className={chips.chips}>
            {offered.map((code) => (
              <label key={code} className={`${chips.chip}${draft.languages.includes(code) ? ` ${chips.on}` : ""}`}>
                <input type="checkbox" checked={draft.languages.includes(code)} onChange={() => toggleLanguage(code)} />
                {languageName(code)}
              </label>
            ))}
          </div>
          {f("languages") && <small className="field-error">{f("languages")}</small>}
        </fieldset>
        {typeof error === "string" && <ErrorBox message={error} />}
        {apiErr && !known.some((k) => apiErr.field(k)) && <ErrorBox message={apiErr.message} />}
        <div className={styles.actions}>
          <button type="submit" className="btn btn-primary" disabled={busy || !dirty}>
            {busy ? "Saving…" : "Save profile"}
          </button>
          {dirty && !busy && <span className="muted">Unsaved changes (kept if you reload)</span>}
          {notice && (
            <span className={styles.saved} role="status">
              {notice}
            </span>
          )}
        </div>
      </form>
      <p className="muted">
        Price, session lengths, hours and time zone are set in your <Link to={paths.dashboard}>dashboard</Link> under Availability.
      </p>
    </div>
  );
}
