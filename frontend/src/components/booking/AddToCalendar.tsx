import { buildIcs, googleCalendarUrl, outlookCalendarUrl, type CalendarEvent } from "../../lib/addToCalendar";
import styles from "./AddToCalendar.module.css";

/** .ics download plus Google and Outlook links for one consultation. */
export function AddToCalendar({ event, fileName }: { event: CalendarEvent; fileName: string }) {
  const ics = `data:text/calendar;charset=utf-8,${encodeURIComponent(buildIcs(event))}`;
  return (
    <div className={styles.addToCalendar} role="group" aria-label="Add to calendar">
      <a className="btn btn-small" href={ics} download={fileName} data-testid="ics-download">
        Download .ics (Apple, Outlook desktop)
      </a>
      <a className="btn btn-small" href={googleCalendarUrl(event)} target="_blank" rel="noreferrer" data-testid="google-calendar">
        Google Calendar
      </a>
      <a className="btn btn-small" href={outlookCalendarUrl(event)} target="_blank" rel="noreferrer" data-testid="outlook-calendar">
        Outlook.com
      </a>
    </div>
  );
}
