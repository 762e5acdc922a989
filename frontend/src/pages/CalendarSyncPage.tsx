import { Link } from "react-router-dom";

import { useAuth } from "../auth/AuthContext";
import { CalendarFeedSection } from "../components/integrations/CalendarFeedSection";
import { paths } from "../routes";

/** Account → Calendar: the subscription feed of the signed-in person. */
export function CalendarSyncPage() {
  const { user } = useAuth();
  return (
    <div className="stack">
      <h1>Calendar</h1>
      <CalendarFeedSection />
      {user?.roles.is_expert && (
        <p>
          <Link to={paths.integrations}>Block busy times from your own calendars, and send bookings to other apps →</Link>
        </p>
      )}
    </div>
  );
}
