import { useState } from "react";
import { Link, NavLink, Outlet, useLocation, useNavigate } from "react-router-dom";

import { useAuth } from "../auth/AuthContext";
import { useConnectionStatus } from "../realtime/RealtimeProvider";
import { NotificationBell } from "./NotificationBell";
import { BookingToasts } from "./BookingToasts";
import { ChatUnreadBadge } from "./ChatUnreadBadge";
import { MenuIcon } from "./icons";
import { paths } from "../routes";

export function Layout() {
  const { user, logout } = useAuth();
  const navigate = useNavigate();
  const [menuOpen, setMenuOpen] = useState(false);
  const close = () => setMenuOpen(false);
  // Chat is an app screen: the page itself does not scroll, its panes do.
  const fullHeight = useLocation().pathname.startsWith(paths.chat);

  return (
    <div className={fullHeight ? "shell shell-full" : "shell"}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <div className="header-inner">
          <Link to={paths.experts} className="brand" onClick={close}>
            Consult
          </Link>
          <button
            type="button"
            className="btn btn-icon menu-toggle"
            aria-expanded={menuOpen}
            aria-controls="main-nav"
            onClick={() => setMenuOpen((o) => !o)}
          >
            <MenuIcon />
            <span className="visually-hidden">Menu</span>
          </button>
          <nav id="main-nav" className={`main-nav${menuOpen ? " open" : ""}`} aria-label="Main">
            <NavLink to={paths.experts} end onClick={close}>
              Experts
            </NavLink>
            {user && (
              <>
                <NavLink to={paths.myConsultations} onClick={close}>
                  My consultations
                </NavLink>
                <NavLink to={paths.chat} onClick={close}>
                  Messages <ChatUnreadBadge />
                </NavLink>
                {user.roles.is_expert ? (
                  <NavLink to={paths.dashboard} onClick={close}>
                    Expert dashboard
                  </NavLink>
                ) : (
                  <NavLink to={paths.apply} onClick={close}>
                    Become an expert
                  </NavLink>
                )}
                {user.roles.is_staff && (
                  <NavLink to={paths.staffApplications} onClick={close}>
                    Applications
                  </NavLink>
                )}
              </>
            )}
          </nav>
          <div className="header-tools">
            {user ? (
              <>
                <ConnectionDot />
                <NotificationBell />
                <Link className="user-name" title={`${user.email}: account settings`} to={paths.account} onClick={close}>
                  {user.name}
                </Link>
                <button
                  type="button"
                  className="btn btn-small"
                  onClick={async () => {
                    await logout().catch(() => undefined);
                    navigate("/login");
                  }}
                >
                  Sign out
                </button>
              </>
            ) : (
              <>
                <Link className="btn btn-small" to="/login">
                  Sign in
                </Link>
                <Link className="btn btn-small btn-primary" to="/signup">
                  Sign up
                </Link>
              </>
            )}
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
      {user?.roles.is_expert && <BookingToasts />}
    </div>
  );
}

function ConnectionDot() {
  const status = useConnectionStatus();
  const label =
    status === "open"
      ? "Live updates on"
      : status === "reconnecting"
        ? "Reconnecting…"
        : status === "closed"
          ? "Offline"
          : "Connecting…";
  return (
    <span className={`conn conn-${status}`} role="status" title={label} data-testid="connection-status" data-status={status}>
      <span className="conn-dot" aria-hidden="true" />
      <span className={status === "open" ? "visually-hidden" : "conn-label"}>{label}</span>
    </span>
  );
}
