import { CalendarFeedSection } from "../components/integrations/CalendarFeedSection";

/** Account → Calendar: the subscription feed of the signed-in person. */
export function CalendarSyncPage() {
  return (
    <div className="stack">
      <h1>Calendar</h1>
      <CalendarFeedSection />
    </div>
  );
}
