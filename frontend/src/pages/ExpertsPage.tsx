import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";

import type { Schemas } from "../api/client";
import { useAuth } from "../auth/AuthContext";
import { ErrorBox, Empty, Loading, Stars, TextField, SelectField, VerifiedBadge } from "../components/ui";
import { useExperts, type Ordering } from "../features/experts/useExperts";
import { formatDateTime, formatMoney } from "../lib/time";
import { languageList } from "../lib/languages";
import { rememberDisplayCurrency } from "../lib/currency";
import { paths } from "../routes";
import { Avatar } from "../components/Avatar";
import searchBar from "../components/SearchBar.module.css";
import styles from "./ExpertsPage.module.css";

const ORDERINGS: Array<{ value: Ordering | ""; label: string }> = [
  { value: "", label: "Best rated" },
  { value: "availability", label: "Soonest available" },
  { value: "price", label: "Price: low to high" },
  { value: "-price", label: "Price: high to low" },
  { value: "-reviews", label: "Most reviews" },
];

const FILTER_KEYS = ["search", "expertise", "language", "currency", "display_currency", "min_price", "max_price", "min_rating", "verified", "ordering"] as const;


const FILTER_WORDS: Partial<Record<(typeof FILTER_KEYS)[number], string>> = {
  search: "matching",
  expertise: "in",
  language: "speaking",
  currency: "priced in",
  min_price: "from",
  max_price: "up to",
  min_rating: "rated at least",
};

export function ExpertsPage() {
  const profileCurrency = useAuth().user?.currency ?? null;
  const [params, setParams] = useSearchParams();
  const [draft, setDraft] = useState(() =>
    Object.fromEntries(FILTER_KEYS.map((k) => [k, params.get(k) ?? ""])) as Record<(typeof FILTER_KEYS)[number], string>,
  );

  const { data, error, loading, reload, page, totalPages, displayCurrency, suggestions } = useExperts(params, profileCurrency);

  function apply(event: FormEvent) {
    event.preventDefault();
    if (draft.display_currency) rememberDisplayCurrency(draft.display_currency);
    const next = new URLSearchParams();
    for (const key of FILTER_KEYS) if (draft[key]) next.set(key, draft[key]);
    setParams(next);
  }

  function clear() {
    setDraft({ ...(Object.fromEntries(FILTER_KEYS.map((k) => [k, ""])) as typeof draft), display_currency: draft.display_currency });
    setParams(new URLSearchParams());
  }

  const set = (key: (typeof FILTER_KEYS)[number]) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [key]: e.target.value }));

  const active = FILTER_KEYS.filter((k) => k !== "ordering" && k !== "display_currency" && params.get(k));
  const [filtersOpen, setFiltersOpen] = useState(false);

  return (
    <div className="page">
      <h1>Find an expert</h1>
      <form className={searchBar.searchBar} role="search" onSubmit={apply}>
        <label className="visually-hidden" htmlFor="expert-search">
          Search experts
        </label>
        <input
          id="expert-search"
          type="search"
          name="search"
          placeholder="What do you need help with? (visa, VAT, system design…)"
          value={draft.search}
          onChange={set("search")}
        />
        <button className="btn btn-primary" type="submit">
          Search
        </button>
        <button
          type="button"
          className={`btn ${searchBar.filtersToggle}`}
          aria-expanded={filtersOpen}
          aria-controls="expert-filters"
          onClick={() => setFiltersOpen((o) => !o)}
        >
          Filters{active.filter((k) => k !== "search").length ? ` (${active.filter((k) => k !== "search").length})` : ""}
        </button>
      </form>
      <form id="expert-filters" className={`${styles.filters} card${filtersOpen ? ` ${styles.open}` : ""}`} onSubmit={apply} aria-label="Filter experts">
        <TextField label="Expertise" name="expertise" list="expertise-options" placeholder="e.g. tax" value={draft.expertise} onChange={set("expertise")} />
        <datalist id="expertise-options">
          {suggestions.areas.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <TextField label="Language" name="language" list="language-options" placeholder="e.g. Japanese" value={draft.language} onChange={set("language")} />
        <datalist id="language-options">
          {suggestions.langs.map((l) => (
            <option key={l} value={l} />
          ))}
        </datalist>
        <SelectField
          label="Show prices in"
          name="display_currency"
          value={draft.display_currency || displayCurrency}
          onChange={set("display_currency")}
        >
          {(data?.supported ?? [displayCurrency]).filter(Boolean).map((code) => (
            <option key={code} value={code}>
              {currencyLabel(code)}
            </option>
          ))}
        </SelectField>
        <SelectField label="Priced in" name="currency" value={draft.currency} onChange={set("currency")}>
          <option value="">Any currency</option>
          {(data?.supported ?? []).map((code) => (
            <option key={code} value={code}>
              Only {code}
            </option>
          ))}
        </SelectField>
        <TextField label={`Min price / hour${displayCurrency ? ` (${displayCurrency})` : ""}`} type="number" min={0} step="1" name="min_price" inputMode="decimal" value={draft.min_price} onChange={set("min_price")} />
        <TextField label={`Max price / hour${displayCurrency ? ` (${displayCurrency})` : ""}`} type="number" min={0} step="1" name="max_price" inputMode="decimal" value={draft.max_price} onChange={set("max_price")} />
        <SelectField label="Minimum rating" name="min_rating" value={draft.min_rating} onChange={set("min_rating")}>
          <option value="">Any</option>
          <option value="3">3+ ★</option>
          <option value="4">4+ ★</option>
          <option value="4.5">4.5+ ★</option>
        </SelectField>
        <SelectField label="Sort by" name="ordering" value={draft.ordering} onChange={set("ordering")}>
          {ORDERINGS.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </SelectField>
        <div className="field checkbox-field">
          <label>
            <input
              type="checkbox"
              checked={draft.verified === "true"}
              onChange={(e) => setDraft((d) => ({ ...d, verified: e.target.checked ? "true" : "" }))}
            />{" "}
            Verified only
          </label>
        </div>
        <div className={styles.filterActions}>
          <button className="btn btn-primary" type="submit">
            Apply filters
          </button>
          <button className="btn" type="button" onClick={clear}>
            Clear
          </button>
        </div>
      </form>

      <ErrorBox message={error} onRetry={reload} />
      {loading && !data && <Loading label="Loading experts…" />}
      {data && (
        <>
          <p className="muted" aria-live="polite">
            {data.count === 1 ? "1 expert" : `${data.count} experts`}
            {displayCurrency && ` · prices compared in ${displayCurrency} (other currencies at approximate rates)`}
            {loading && " · updating…"}
          </p>
          {data.results.length === 0 ? (
            <Empty>
              {active.length === 0 ? (
                "No experts are taking bookings right now. Please check back soon."
              ) : (
                <>
                  No expert{" "}
                  {active.map((k) => `${FILTER_WORDS[k] ?? k} ${k === "search" ? `“${params.get(k)}”` : k === "min_rating" ? `${params.get(k)}★` : params.get(k)}`).join(", ")}
                  .{" "}
                  <button type="button" className="linklike" onClick={clear}>
                    Clear all filters
                  </button>
                  {active.length > 1 && " or remove one of them."}
                </>
              )}
            </Empty>
          ) : (
            <ul className={styles.expertGrid}>
              {data.results.map((expert) => (
                <li key={expert.id}>
                  <ExpertCard expert={expert} />
                </li>
              ))}
            </ul>
          )}
          {(data.next || data.previous) && (
            <nav className="pager" aria-label="Pages">
              <button className="btn" disabled={!data.previous} onClick={() => setPage(params, setParams, page - 1)}>
                Previous
              </button>
              <span>
                Page {page}
                {totalPages > 1 ? ` of ${totalPages}` : ""}
              </span>
              <button className="btn" disabled={!data.next} onClick={() => setPage(params, setParams, page + 1)}>
                Next
              </button>
            </nav>
          )}
        </>
      )}
    </div>
  );
}

function currencyLabel(code: string): string {
  try {
    const name = new Intl.DisplayNames(undefined, { type: "currency" }).of(code);
    return name && name !== code ? `${code} · ${name}` : code;
  } catch {
    return code;
  }
}

function setPage(params: URLSearchParams, setParams: (p: URLSearchParams) => void, page: number) {
  const next = new URLSearchParams(params);
  if (page <= 1) next.delete("page");
  else next.set("page", String(page));
  setParams(next);
}

export function ExpertCard({ expert }: { expert: Schemas["ExpertList"] }) {
  return (
    <article className={`card ${styles.expertCard}`} aria-labelledby={`expert-${expert.id}-name`} data-testid="expert-card">
      <div className={styles.expertCardHead}>
        <Avatar name={expert.name} url={expert.avatar_thumb_url ?? expert.avatar_url} />
        <div>
          <h2 id={`expert-${expert.id}-name`}>
            <Link to={paths.expert(expert.id)}>{expert.name}</Link>
          </h2>
          {expert.is_verified && <VerifiedBadge />}
        </div>
      </div>
      {expert.headline && <p className="headline">{expert.headline}</p>}
      <ul className="tags" aria-label="Expertise">
        {expert.expertise_areas.map((a) => (
          <li key={a} className="tag">
            {a}
          </li>
        ))}
      </ul>
      <dl className="facts">
        <div>
          <dt>Price</dt>
          <dd>
            {formatMoney(expert.hourly_rate, expert.currency)} / hour
            {expert.converted_hourly_rate && expert.converted_currency && (
              <small className="muted converted" title="Approximate conversion; you pay in the expert's currency">
                ≈ {formatMoney(expert.converted_hourly_rate, expert.converted_currency, { whole: true })}
              </small>
            )}
          </dd>
        </div>
        <div>
          <dt>Rating</dt>
          <dd>
            <Stars value={expert.average_rating} count={expert.review_count} />
          </dd>
        </div>
        <div>
          <dt>Languages</dt>
          <dd>{languageList(expert.languages) || "—"}</dd>
        </div>
        <div>
          <dt>Next free</dt>
          <dd>{expert.next_available_at ? formatDateTime(expert.next_available_at) : "No open slots"}</dd>
        </div>
      </dl>
      <Link className="btn btn-primary" to={paths.expert(expert.id)}>
        View<span className="visually-hidden"> {expert.name}</span> and book
      </Link>
    </article>
  );
}


