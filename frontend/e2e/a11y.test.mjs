// Accessibility: axe-core scans every page, signed out and signed in as client, expert and
// staff, at phone (390x844) and desktop (1366x900) size. No serious or critical violation
// and no console error is allowed.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";

import { DEMO_PASSWORD, launchBrowser, newWatchedPage, startServer } from "./harness.mjs";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const LIVE = { timeout: 15_000 };
const SIZES = {
  phone: { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true },
  desktop: { viewport: { width: 1366, height: 900 } },
};

let server;
let chrome;
let seed;

before(async () => {
  server = await startServer();
  chrome = await launchBrowser();
  const out = server
    .shell(`
import json
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from consultations.models import Expert
from consultations.services import booking
from consultations.services.scheduling import get_available_slots
from chat import services as chat
client = User.objects.get(email="client@demo.consult")
expert = Expert.objects.get(user__email="yuki.tanaka@demo.consult")
today = timezone.now().date()
slots = get_available_slots(expert, date_from=today, date_to=today + timedelta(days=21), duration_minutes=30)
c = booking.book_consultation(user=client, expert_id=expert.pk, start_at=slots[2].start, duration_minutes=30, topic="Discovery interviews")
conv, _ = chat.get_or_create_conversation(user=client, expert_id=expert.pk, consultation_id=c.pk)
for i in range(6):
    chat.send_message(sender=client if i % 2 == 0 else expert.user, conversation_id=conv.pk, text=f"Message {i}", client_id=f"a11y-{i}")
print(json.dumps({"expert": expert.pk, "consultation": c.pk, "conversation": conv.pk, "slot": slots[4].start.isoformat()}))
`)
    .trim()
    .split("\n")
    .pop();
  seed = JSON.parse(out);
});

after(async () => {
  await chrome?.close();
  await server?.stop();
});

async function signIn(page, email) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"), LIVE);
}

/** Runs axe on the page as it is now; returns the serious and critical violations, readable. */
async function scan(page) {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 4).join(" | ")}`);
  });
  return violations;
}

function pages() {
  const slotUrl = `/consultations/book?expert=${seed.expert}&slot=${encodeURIComponent(new Date(seed.slot).toISOString())}&topic=Research`;
  return {
    visitor: { email: null, urls: ["/", "/consultations", `/consultations/book?expert=${seed.expert}`, slotUrl, "/login", "/signup", "/no-such-page"] },
    client: {
      email: "client@demo.consult",
      urls: ["/consultations/my-consultations", `/consultations/${seed.consultation}`, "/consultations/chat", `/consultations/chat/${seed.conversation}`, "/experts/apply", "/account"],
    },
    expert: {
      email: "yuki.tanaka@demo.consult",
      urls: [
        "/consultations/expert",
        "/consultations/expert#availability",
        "/consultations/expert/profile",
        "/consultations/expert/integrations",
        "/account",
        `/consultations/chat/${seed.conversation}`,
      ],
    },
    staff: { email: "admin@demo.consult", urls: ["/staff/applications"] },
  };
}

describe("accessibility (axe-core)", () => {
  for (const [sizeName, device] of Object.entries(SIZES)) {
    test(`every page has no serious or critical violation at ${sizeName} size`, async () => {
      const found = [];
      for (const [who, { email, urls }] of Object.entries(pages())) {
        const watched = await newWatchedPage(chrome.browser, server.baseUrl, { name: `${who}-${sizeName}`, device, timezoneId: "Europe/Paris" });
        try {
          const { page } = watched;
          if (email) await signIn(page, email);
          for (const url of urls) {
            await page.goto(url.replace("#availability", ""));
            await page.locator("main").waitFor(LIVE);
            await page.waitForLoadState("networkidle").catch(() => undefined);
            if (url.endsWith("#availability")) {
              await page.getByRole("tab", { name: "Availability" }).click();
              await page.getByRole("button", { name: "Save weekly hours" }).waitFor(LIVE);
            }
            for (const v of await scan(page)) found.push(`[${sizeName} ${who} ${url}] ${v}`);
          }
          found.push(...watched.problems);
        } finally {
          await watched.context.close();
        }
      }
      assert.deepEqual(found, [], `accessibility problems:\n${found.join("\n")}`);
    });
  }
});
