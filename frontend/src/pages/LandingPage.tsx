import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";

import { useAuth } from "../auth/AuthContext";
import searchBar from "../components/SearchBar.module.css";
import { paths } from "../routes";
import styles from "./LandingPage.module.css";

const TOPICS = ["Tax", "Immigration law", "Software architecture", "Career coaching", "UX research", "Nutrition"];

/** The front door: what Consult is, and a search straight into the expert list. */
export function LandingPage() {
  const navigate = useNavigate();
  const { user } = useAuth();
  const [q, setQ] = useState("");
  function submit(event: FormEvent) {
    event.preventDefault();
    navigate(q.trim() ? `${paths.experts}?search=${encodeURIComponent(q.trim())}` : paths.experts);
  }
  return (
    <div className="page">
      <section className={styles.hero}>
        <h1>Talk to a verified expert, on video, this week.</h1>
        <p className={styles.lead}>
          Tax, law, careers, product, health: book a 30 or 60 minute call at a time that suits you, in your time zone, and chat before and after.
        </p>
        <form className={searchBar.searchBar} role="search" onSubmit={submit}>
          <label className="visually-hidden" htmlFor="landing-search">
            What do you need help with?
          </label>
          <input id="landing-search" type="search" placeholder="What do you need help with? (visa, VAT, system design…)" value={q} onChange={(e) => setQ(e.target.value)} />
          <button className="btn btn-primary" type="submit">
            Find an expert
          </button>
        </form>
        <ul className={`tags ${styles.topicLinks}`} aria-label="Popular topics">
          {TOPICS.map((t) => (
            <li key={t}>
              <Link className="tag" to={`${paths.experts}?expertise=${encodeURIComponent(t)}`}>
                {t}
              </Link>
            </li>
          ))}
        </ul>
      </section>
      <section className={styles.how} aria-labelledby="how-h">
        <h2 id="how-h">How it works</h2>
        <ol>
          <li>
            <strong>Pick an expert.</strong> Every expert's identity and credentials are checked by our team.
          </li>
          <li>
            <strong>Choose a time.</strong> You see their real free times in your own time zone.
          </li>
          <li>
            <strong>Meet on video.</strong> Join from the browser; message them before and after.
          </li>
        </ol>
        {!user && (
          <p>
            <Link to={paths.signup}>Create a free account</Link> or <Link to={paths.experts}>browse experts</Link> first.
          </p>
        )}
        {user && !user.roles.is_expert && (
          <p>
            Are you an expert? <Link to={paths.apply}>Apply to advise on Consult</Link>.
          </p>
        )}
      </section>
    </div>
  );
}
