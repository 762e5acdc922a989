import { Link } from "react-router-dom";

import { ConsultationActions, type Consultation } from "../components/consultations/ConsultationActions";
import { Empty, ErrorBox, Loading, Notice, StatusBadge } from "../components/ui";
import { formatMoney, formatRange } from "../lib/time";
import { useMyConsultations, type Tab } from "../features/consultations/useMyConsultations";
import { paths } from "../routes";
import styles from "./MyConsultationsPage.module.css";

export function MyConsultationsPage() {
  const { tab, setTab, page, setPage, list, notice, replace } = useMyConsultations();

  return (
    <div className="page">
      <div className="section-head">
        <h1>My consultations</h1>
        <Link className="btn btn-primary" to={paths.experts}>
          Book a new one
        </Link>
      </div>
      <div className="tabs" role="tablist" aria-label="Consultations">
        {(["upcoming", "past"] as Tab[]).map((t) => (
          <button
            key={t}
            role="tab"
            type="button"
            id={`tab-${t}`}
            aria-selected={tab === t}
            aria-controls="consultation-panel"
            onClick={() => setTab(t)}
          >
            {t === "upcoming" ? "Upcoming" : "Past"}
          </button>
        ))}
      </div>
      {notice && <Notice kind="success">{notice}</Notice>}
      <div id="consultation-panel" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        <ErrorBox message={list.error} onRetry={() => void list.reload()} />
        {list.loading && !list.data && <Loading label="Loading consultations…" />}
        {list.data && list.data.results.length === 0 && (
          <Empty>
            {tab === "upcoming" ? (
              <>
                Nothing booked yet. <Link to={paths.experts}>Find an expert</Link>.
              </>
            ) : (
              "No past consultations."
            )}
          </Empty>
        )}
        {list.data && list.data.results.length > 0 && (
          <ul className="list">
            {list.data.results.map((c) => (
              <li key={c.id} className={`card ${styles.consultationItem}`} data-testid="consultation-item" data-id={c.id} data-status={c.status}>
                <ConsultationSummary c={c} />
                <ConsultationActions consultation={c} onChanged={replace} compact />
              </li>
            ))}
          </ul>
        )}
        {list.data && (list.data.next || list.data.previous) && (
          <nav className="pager" aria-label="Pages">
            <button className="btn" disabled={!list.data.previous} onClick={() => setPage((p) => p - 1)}>
              Previous
            </button>
            <span>Page {page}</span>
            <button className="btn" disabled={!list.data.next} onClick={() => setPage((p) => p + 1)}>
              Next
            </button>
          </nav>
        )}
      </div>
    </div>
  );
}

export function ConsultationSummary({ c }: { c: Consultation }) {
  const other = c.my_role === "expert" ? c.user.name : c.expert.name;
  return (
    <div>
      <h3>
        <Link to={paths.consultation(c.id)}>{c.topic || "Consultation"}</Link>
      </h3>
      <p style={{ margin: 0 }}>
        {c.my_role === "expert" ? "Client" : "With"}: <strong>{other}</strong>
      </p>
      <p style={{ margin: "0.2rem 0" }}>{formatRange(c.start_at, c.end_at)}</p>
      <p className="actions" style={{ margin: 0 }}>
        <StatusBadge status={c.status} />
        <span className="muted">{Number(c.price) > 0 ? formatMoney(c.price, c.currency) : "Free"}</span>
        {c.review && (
          <span className="stars" aria-label={`You rated it ${c.review.rating} out of 5`}>
            {"★".repeat(c.review.rating)}
          </span>
        )}
      </p>
    </div>
  );
}
