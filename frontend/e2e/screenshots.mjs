// Screenshots of every page at phone (390x844) and desktop (1366x900) size, for looking at the UI.
//   node e2e/screenshots.mjs [filter]   -> test-results/shots/<page>-<size>.png
// Uses the e2e harness (fresh database, demo data, built frontend, daphne) and seeds a
// conversation and a booking so the chat and agenda pages have something to show.
import { mkdirSync } from "node:fs";
import path from "node:path";

import { DEMO_PASSWORD, RESULTS, launchBrowser, startServer } from "./harness.mjs";

const OUT = path.join(RESULTS, "shots");
const SIZES = [
  { name: "phone", width: 390, height: 844 },
  { name: "desktop", width: 1366, height: 900 },
];
const filter = process.argv[2] ?? "";

const SEED = `
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from consultations.models import Expert
from consultations.services import booking
from consultations.services.scheduling import get_available_slots
from chat import services as chat
client = User.objects.get(email="client@demo.consult")
expert = Expert.objects.get(user__email="amelie.laurent@demo.consult")
today = timezone.now().date()
slots = get_available_slots(expert, date_from=today, date_to=today + timedelta(days=14), duration_minutes=30)
c1 = booking.book_consultation(user=client, expert_id=expert.pk, start_at=slots[3].start, duration_minutes=30, topic="VAT registration for a new business")
c2 = booking.book_consultation(user=client, expert_id=expert.pk, start_at=slots[12].start, duration_minutes=30, topic="Quarterly income tax")
booking.confirm_consultation(consultation_id=c2.pk, actor=expert.user)
conv, _ = chat.get_or_create_conversation(user=client, expert_id=expert.pk, consultation_id=c1.pk)
lines = ["Hello! I have a question about VAT.", "Sure, what is it?", "Do I need to register before my first invoice?", "In France, only above the threshold.", "What is the threshold?", "About 37,500 EUR for services."]
for i in range(40):
    sender = client if i % 3 != 1 else expert.user
    chat.send_message(sender=sender, conversation_id=conv.pk, text=lines[i % len(lines)] + f" ({i})", client_id=f"seed-{i}")
chat.mark_read(reader=expert.user, conversation_id=conv.pk)
# A photo for one expert, so cards, the profile and chat show a picture next to initials.
import io
from PIL import Image, ImageDraw
from django.core.files.uploadedfile import SimpleUploadedFile
from consultations.services.expert_photo import set_expert_photo
img = Image.new("RGB", (600, 800), (70, 110, 170))
draw = ImageDraw.Draw(img)
draw.ellipse((180, 160, 420, 420), fill=(235, 200, 170))
draw.rectangle((120, 460, 480, 800), fill=(40, 60, 90))
buf = io.BytesIO()
img.save(buf, format="JPEG")
set_expert_photo(expert=expert, actor=expert.user, upload=SimpleUploadedFile("me.jpg", buf.getvalue()))
# Past sessions for reviews, reliability and the attendance line: booked ahead, then moved
# into the past and completed (with the expert's join reported from the call).
from consultations.models import AttendanceInterval, Consultation
from consultations.services import reliability, reviews
past = []
for i in range(6):
    c = booking.book_consultation(user=client, expert_id=expert.pk, start_at=slots[20 + i * 3].start, duration_minutes=30, topic=["Company formation", "VAT on services", "Payroll", "Year-end accounts", "Dividends", "Expenses"][i])
    start = (timezone.now() - timedelta(days=2 + i * 4)).replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(minutes=30)
    Consultation.objects.filter(pk=c.pk).update(start_at=start, end_at=end, blocked_start=start, blocked_end=end, status="completed", confirmed_at=start - timedelta(days=1), meeting_started_at=start, meeting_ended_at=end, completed_at=end)
    for who, role, late in ((expert.user, "expert", 12 if i == 4 else 1), (client, "client", 2)):
        AttendanceInterval.objects.create(consultation_id=c.pk, user=who, role=role, connection_id=f"seed-{c.pk}-{role}", joined_at=start + timedelta(minutes=late), left_at=end, closed_by="left")
    past.append(c)
texts = ["Amélie explained the VAT rules for my case clearly and sent a checklist afterwards. Worth every minute.", "Helpful, although we ran a bit over time.", ""]
for c, rating, text in zip(past[1:4], (5, 4, 5), texts):
    reviews.post_review(consultation_id=c.pk, actor=client, rating=rating, text=text)
first = reviews.post_review(consultation_id=past[4].pk, actor=client, rating=3, text="Good advice, but she joined late.")
reviews.reply_to_review(review_id=first.id, actor=expert.user, text="Sorry for the late start — my previous call overran. Glad the advice helped.")
reliability.refresh_expert(expert)
print(conv.pk, c1.pk, c2.pk, past[0].pk, past[4].pk, expert.pk)
`;

async function main() {
  const server = await startServer();
  const chrome = await launchBrowser();
  mkdirSync(OUT, { recursive: true });
  try {
    const [convId, pendingId, confirmedId, unreviewedId, reviewedId, expertId] = server.shell(SEED).trim().split("\n").pop().split(" ");
    const pages = {
      anon: ["/", "/consultations", "/consultations/book?expert=1", `/consultations/book?expert=${expertId}`, "/login", "/signup"],
      client: [
        "/consultations/my-consultations",
        "/consultations/chat",
        `/consultations/chat/${convId}`,
        "/consultations/book?expert=1",
        "/experts/apply",
        `/consultations/${pendingId}`,
        `/consultations/${confirmedId}/reschedule`,
        `/consultations/${confirmedId}/video`,
        `/consultations/${unreviewedId}`,
        `/consultations/${reviewedId}`,
        "/account",
      ],
      expert: [
        "/consultations/expert",
        "/consultations/expert/profile",
        "/consultations/expert/integrations",
        "/account",
        `/consultations/chat/${convId}`,
        `/consultations/${pendingId}`,
        `/consultations/${reviewedId}`,
      ],
      admin: ["/staff/applications", `/consultations/book?expert=${expertId}`],
    };
    const logins = { client: "client@demo.consult", expert: "amelie.laurent@demo.consult", admin: "admin@demo.consult" };
    for (const size of SIZES) {
      for (const [who, urls] of Object.entries(pages)) {
        const context = await chrome.browser.newContext({
          baseURL: server.baseUrl,
          viewport: { width: size.width, height: size.height },
          timezoneId: "America/New_York",
        });
        const page = await context.newPage();
        page.on("console", (m) => m.type() === "error" && console.log(`[${who}] console: ${m.text()}`));
        if (logins[who]) {
          await page.goto("/login");
          await page.getByLabel("Email").fill(logins[who]);
          await page.getByLabel("Password").fill(DEMO_PASSWORD);
          await page.getByRole("button", { name: "Sign in" }).click();
          await page.waitForURL((u) => !u.pathname.startsWith("/login"));
        }
        for (const url of urls) {
          const slug = `${who}${url.replace(/[^a-z0-9]+/gi, "-")}`.replace(/-+$/, "");
          if (filter && !slug.includes(filter)) continue;
          await page.goto(url);
          await page.waitForLoadState("networkidle").catch(() => undefined);
          await page.waitForTimeout(600);
          // Profiles and consultation pages in full: reviews and reliability sit below the fold.
          const full = /book-expert|consultations-\d+$/.test(slug);
          await page.screenshot({ path: path.join(OUT, `${slug}-${size.name}.png`), fullPage: full });
          console.log(`${slug}-${size.name}.png`);
          if (url === "/consultations/expert") {
            // The availability editor lives behind a tab: weekly hours, zone, session lengths.
            await page.getByRole("tab", { name: "Availability" }).click();
            await page.getByRole("heading", { name: "Booking rules" }).waitFor();
            await page.screenshot({ path: path.join(OUT, `${slug}-availability-${size.name}.png`), fullPage: true });
            console.log(`${slug}-availability-${size.name}.png`);
          }
        }
        await context.close();
      }
    }
  } finally {
    await chrome.close();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
