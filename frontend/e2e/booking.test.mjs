// End-to-end: the real server (daphne + PostgreSQL + Redis) driven by Debian's Chromium.
// Two browser contexts: a new client and a demo expert, each with its own session and socket.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { DEMO_PASSWORD, RESULTS, launchBrowser, newWatchedPage, startServer } from "./harness.mjs";

const EXPERT_EMAIL = "amelie.laurent@demo.consult";
const EXPERT_NAME = "Amélie Laurent";
const LIVE = { timeout: 15_000 };

let server;
let chrome;

before(async () => {
  server = await startServer();
  chrome = await launchBrowser();
});

after(async () => {
  await chrome?.close();
  await server?.stop();
});

async function signUp(page, email) {
  await page.goto("/signup");
  await page.getByLabel("First name").fill("Erin");
  await page.getByLabel("Last name").fill("Tester");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("a-long-pass-phrase-42");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL("**/consultations", LIVE);
}

async function signIn(page, email, password) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"), LIVE);
}

async function waitLive(page) {
  await page.locator('[data-testid="connection-status"][data-status="open"]').waitFor(LIVE);
}

/** Marks the document; if the page ever reloads, the mark is gone. */
async function markDocument(page) {
  await page.evaluate(() => {
    window.__noReload = true;
  });
}
async function assertNotReloaded(page) {
  assert.equal(await page.evaluate(() => window.__noReload === true), true, "the page reloaded");
}

function assertNoProblems(...lists) {
  const all = lists.flat();
  assert.deepEqual(all, [], `console errors:\n${all.join("\n")}`);
}

describe("booking, live confirmation, chat with receipts, cancellation", () => {
  test("client books, expert is alerted live and confirms, both chat, client cancels", async () => {
    const client = await newWatchedPage(chrome.browser, server.baseUrl, { timezoneId: "America/New_York", name: "client" });
    const expert = await newWatchedPage(chrome.browser, server.baseUrl, { timezoneId: "Europe/Paris", name: "expert" });
    try {
      const { page: a } = client;
      const { page: b } = expert;

      // The expert waits on the dashboard with a live socket.
      await signIn(b, EXPERT_EMAIL, DEMO_PASSWORD);
      await b.goto("/consultations/expert");
      await b.getByRole("heading", { name: "Expert dashboard" }).waitFor(LIVE);
      // The Paris expert reads the agenda in their own zone, and the page says which.
      await b.getByTestId("agenda-zone").filter({ hasText: "Europe/Paris" }).waitFor(LIVE);
      await waitLive(b);
      await markDocument(b);

      // A new client signs up and picks the expert from the list.
      await signUp(a, `erin.${Date.now()}@example.com`);
      await a.getByTestId("expert-card").first().waitFor(LIVE);
      await a.screenshot({ path: `${RESULTS}/01-experts.png`, fullPage: true });
      await a.getByRole("link", { name: `View ${EXPERT_NAME} and book` }).click();
      await a.getByRole("heading", { name: EXPERT_NAME }).waitFor(LIVE);
      await assert.doesNotReject(a.getByTestId("viewer-tz").filter({ hasText: "America/New York" }).waitFor(LIVE));

      // Slots are shown in the viewer's zone: the button text is the slot's UTC start as New York time.
      const slot = a.getByTestId("slot").first();
      await slot.waitFor(LIVE);
      const startUtc = await slot.getAttribute("data-start");
      const shown = (await slot.textContent()).trim();
      // Signed up from an en-US browser, the client reads a 12-hour clock ("4:00 AM").
      const expected = new Intl.DateTimeFormat("en-US", { hour: "numeric", minute: "2-digit", hour12: true, timeZone: "America/New_York" }).format(new Date(startUtc));
      assert.equal(shown, expected);
      await slot.click();
      const topic = `VAT registration ${Date.now() % 100000}`;
      await a.getByLabel("Topic").fill(topic);
      await a.screenshot({ path: `${RESULTS}/02-booking.png`, fullPage: true });
      await a.getByRole("button", { name: "Book this time" }).click();
      await a.waitForURL(/\/consultations\/\d+$/, LIVE);
      const consultationId = Number(new URL(a.url()).pathname.split("/").pop());
      await a.locator('[data-testid="consultation-status"][data-status="pending"]').waitFor(LIVE);
      await waitLive(a);
      await markDocument(a);

      // The expert's dashboard shows the booking as it arrives, without a reload, and confirms it.
      const alert = b.locator(`[data-testid="live-alert"][data-booking-id="${consultationId}"]`);
      await alert.waitFor(LIVE);
      assert.match(await alert.textContent(), new RegExp(topic));
      // A toast says it too (the tab title counts it when the dashboard is not in view).
      await b.getByTestId("booking-toast").filter({ hasText: topic }).waitFor(LIVE);
      // The agenda shows the request once, under "Requests waiting for you".
      await b.locator(`[data-testid="pending-item"][data-id="${consultationId}"]`).waitFor(LIVE);
      assert.equal(await b.locator(`[data-id="${consultationId}"]`).count(), 1);
      await assertNotReloaded(b);
      await b.screenshot({ path: `${RESULTS}/03-expert-live-alert.png`, fullPage: true });
      await alert.getByTestId("alert-confirm").click();
      await alert.getByText("Confirmed").waitFor(LIVE);

      // The client's page flips to confirmed by itself.
      await a.locator('[data-testid="consultation-status"][data-status="confirmed"]').waitFor(LIVE);
      await assertNotReloaded(a);
      // ...and the bell counts the in-app notification that came with it.
      await a.getByTestId("notification-count").waitFor(LIVE);
      await a.getByRole("button", { name: /Notifications, \d+ unread/ }).click();
      await a.getByRole("region", { name: "Notifications" }).getByRole("link").first().waitFor(LIVE);
      await a.keyboard.press("Escape");

      // Chat: the client writes; the expert sees the unread badge live, opens it, and the
      // client sees the read receipt.
      await a.getByRole("link", { name: `Message ${EXPERT_NAME}` }).click();
      await a.waitForURL(/\/consultations\/chat\/\d+$/, LIVE);
      const composerA = a.getByLabel("Message", { exact: true });
      await composerA.fill("Hello! I have a question about VAT.");
      await composerA.press("Enter");
      const sentByA = a.getByTestId("message").filter({ hasText: "I have a question about VAT" });
      await sentByA.locator('[data-testid="receipt"]').filter({ hasText: "Sent" }).waitFor(LIVE);

      await b.getByTestId("chat-unread-total").filter({ hasText: "1" }).waitFor(LIVE);
      await b.getByRole("link", { name: /Messages/ }).click();
      await b.getByTestId("unread-badge").first().waitFor(LIVE);
      await b.getByTestId("conversation-link").first().click();
      await b.getByTestId("message").filter({ hasText: "I have a question about VAT" }).waitFor(LIVE);
      await a.locator('[data-testid="message"][data-receipt="read"]').filter({ hasText: "I have a question about VAT" }).waitFor(LIVE);

      // The expert types (the client sees it) and replies (the client sees it live and reads it).
      const composerB = b.getByLabel("Message", { exact: true });
      await composerB.pressSequentially("Sure, ", { delay: 20 });
      await a.getByTestId("typing").filter({ hasText: "is typing" }).waitFor(LIVE);
      await composerB.pressSequentially("what is it?");
      await composerB.press("Enter");
      await a.getByTestId("message").filter({ hasText: "Sure, what is it?" }).waitFor(LIVE);
      await b.locator('[data-testid="message"][data-receipt="read"]').filter({ hasText: "Sure, what is it?" }).waitFor(LIVE);
      // Each side reads message times in its own zone, named on the day separator.
      await a.getByTestId("day-separator").filter({ hasText: "America/New York time" }).first().waitFor(LIVE);
      await b.getByTestId("day-separator").filter({ hasText: "Europe/Paris time" }).first().waitFor(LIVE);
      await a.screenshot({ path: `${RESULTS}/04-chat-client.png` });
      await b.screenshot({ path: `${RESULTS}/05-chat-expert.png` });

      // The client cancels; the expert's dashboard hears about it live.
      await b.getByRole("link", { name: "Expert dashboard" }).click();
      await b.getByRole("heading", { name: "Expert dashboard" }).waitFor(LIVE);
      await a.getByRole("link", { name: "My consultations" }).click();
      const item = a.locator(`[data-testid="consultation-item"][data-id="${consultationId}"]`);
      await item.waitFor(LIVE);
      await item.getByRole("button", { name: "Cancel" }).click();
      await item.getByLabel("Reason (optional)").fill("Found the answer myself, thanks!");
      await item.getByRole("button", { name: "Cancel consultation" }).click();
      await a.getByText("is cancelled; it is now under Past").waitFor(LIVE);
      await a.getByRole("tab", { name: "Past" }).click();
      await a.locator(`[data-testid="consultation-item"][data-id="${consultationId}"][data-status="cancelled"]`).waitFor(LIVE);
      const cancelledAlert = b.locator(`[data-testid="live-alert"][data-booking-id="${consultationId}"]`);
      await cancelledAlert.filter({ hasText: "Booking cancelled" }).waitFor(LIVE);
      // One alert per booking, showing its current state: no stale "Confirmed" left behind.
      assert.equal(await cancelledAlert.count(), 1);
      assert.doesNotMatch(await cancelledAlert.textContent(), /Confirmed/);
      await cancelledAlert.getByText("Cancelled", { exact: true }).waitFor(LIVE);
      // The agenda lists each booking once.
      assert.equal(await b.locator(`[data-id="${consultationId}"]`).count(), 0);
      await assertNotReloaded(a);

      assertNoProblems(client.problems, expert.problems);
    } catch (err) {
      await client.page.screenshot({ path: `${RESULTS}/failure-client.png`, fullPage: true }).catch(() => undefined);
      await expert.page.screenshot({ path: `${RESULTS}/failure-expert.png`, fullPage: true }).catch(() => undefined);
      console.error([...client.problems, ...expert.problems].join("\n"));
      throw err;
    } finally {
      await client.context.close();
      await expert.context.close();
    }
  });

  test("a slot taken meanwhile gets a clear conflict message with alternatives", async () => {
    const client = await newWatchedPage(chrome.browser, server.baseUrl, { timezoneId: "Asia/Tokyo", name: "client2" });
    try {
      const { page } = client;
      await signUp(page, `kai.${Date.now()}@example.com`);
      await page.getByRole("link", { name: `View ${EXPERT_NAME} and book` }).click();
      const slot = page.getByTestId("slot").nth(1);
      await slot.waitFor(LIVE);
      const startUtc = await slot.getAttribute("data-start");
      await slot.click();
      await page.getByLabel("Topic").fill("Double-booking check");

      // Someone else books the same time while this page is open.
      server.shell(`
from datetime import datetime
from django.contrib.auth.models import User
from consultations.models import Expert
from consultations.services import booking
other, _ = User.objects.get_or_create(username="rival@example.com", defaults={"email": "rival@example.com"})
expert = Expert.objects.get(user__email="${EXPERT_EMAIL}")
booking.book_consultation(user=other, expert_id=expert.pk, start_at=datetime.fromisoformat("${startUtc}".replace("Z", "+00:00")), duration_minutes=30, topic="Rival")
`);

      await page.getByRole("button", { name: "Book this time" }).click();
      const conflict = page.getByTestId("conflict");
      await conflict.waitFor(LIVE);
      assert.ok((await conflict.getByRole("button").count()) > 0, "alternatives are offered");
      await page.screenshot({ path: `${RESULTS}/06-conflict.png`, fullPage: true });

      // Picking an alternative and booking again works.
      await conflict.getByRole("button").first().click();
      await page.getByRole("button", { name: "Book this time" }).click();
      await page.waitForURL(/\/consultations\/\d+$/, LIVE);
      await page.locator('[data-testid="consultation-status"][data-status="pending"]').waitFor(LIVE);

      // The 409 is an expected answer; the browser logs it as a failed resource, nothing else.
      const problems = client.problems.filter((p) => !/status of 409/.test(p));
      assertNoProblems(problems);
    } finally {
      await client.context.close();
    }
  });
});

describe("expert application, staff review, live verification, availability", () => {
  test("a user applies with a document, staff approves, the new expert sets weekly hours", async () => {
    const applicant = await newWatchedPage(chrome.browser, server.baseUrl, { timezoneId: "Europe/Lisbon", name: "applicant" });
    const staff = await newWatchedPage(chrome.browser, server.baseUrl, { name: "staff" });
    try {
      const { page: a } = applicant;
      const { page: s } = staff;
      const email = `noor.${Date.now()}@example.com`;
      await signUp(a, email);
      await a.getByRole("link", { name: "Become an expert" }).click();
      await a.getByRole("heading", { name: "Apply as an expert" }).waitFor(LIVE);
      await a.getByLabel("Headline").fill("Pension planning for expats");
      await a.getByLabel("Why do you want to advise on Consult?").fill("I enjoy untangling pension rules for people who moved countries.");
      await a.getByLabel("Your fields of expertise").fill("Pensions, cross-border tax");
      await a.getByLabel("Experience").fill("Twelve years as an independent financial adviser.");
      await a.getByLabel("Expertise tags").fill("Pensions, Tax");
      await a.getByLabel("Languages").fill("en, pt");
      // A reload keeps what was typed so far.
      await a.waitForTimeout(400);
      await a.reload();
      await a.getByRole("heading", { name: "Apply as an expert" }).waitFor(LIVE);
      assert.equal(await a.getByLabel("Headline").inputValue(), "Pension planning for expats");
      assert.equal(await a.getByLabel("Languages").inputValue(), "en, pt");
      await a.getByRole("button", { name: "Submit application" }).click();
      await a.locator('[data-testid="verification-status"][data-status="pending"]').waitFor(LIVE);

      // A PDF goes up through XMLHttpRequest with a progress bar.
      await a.getByLabel("Document type").selectOption("certificate");
      await a.getByLabel(/^File/).setInputFiles({
        name: "certificate.pdf",
        mimeType: "application/pdf",
        buffer: Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
      });
      await a.getByRole("button", { name: "Upload document" }).click();
      await a.getByText("Uploaded certificate.pdf.").waitFor(LIVE);
      await a.getByRole("link", { name: "certificate.pdf" }).waitFor(LIVE);
      await waitLive(a);
      await markDocument(a);

      // Staff approves from the review page.
      await signIn(s, "admin@demo.consult", DEMO_PASSWORD);
      await s.getByRole("link", { name: "Applications" }).click();
      const card = s.locator("article").filter({ hasText: email });
      await card.waitFor(LIVE);
      await card.getByRole("button", { name: "Approve" }).click();
      await card.waitFor({ state: "detached", timeout: 15_000 });

      // The applicant hears it live: status, menu and dashboard access change without a reload.
      await a.locator('[data-testid="verification-status"][data-status="approved"]').waitFor(LIVE);
      await a.getByRole("link", { name: "Expert dashboard" }).first().waitFor(LIVE);
      await assertNotReloaded(a);
      await a.screenshot({ path: `${RESULTS}/07-approved.png`, fullPage: true });

      await a.getByRole("link", { name: "Go to your dashboard" }).click();
      await a.getByRole("heading", { name: "Expert dashboard" }).waitFor(LIVE);
      await a.getByRole("tab", { name: "Availability" }).click();
      await a.getByRole("group", { name: "Monday" }).getByRole("button", { name: "+ Add hours" }).click();
      // An impossible range is refused before it reaches the server.
      await a.getByLabel("Monday end").fill("08:00");
      await a.getByRole("button", { name: "Save weekly hours" }).click();
      await a.getByText("Monday: 08:00 is not after 09:00.").waitFor(LIVE);
      await a.getByLabel("Monday end").fill("13:00");
      await a.getByRole("button", { name: "Save weekly hours" }).click();
      await a.getByText("Weekly hours saved.").waitFor(LIVE);
      await a.screenshot({ path: `${RESULTS}/08-availability.png`, fullPage: true });

      // The new expert is listed with the verified badge.
      await a.getByRole("link", { name: "Experts", exact: true }).click();
      await a.getByRole("link", { name: /^View .* and book$/ }).first().waitFor(LIVE);
      const listed = a.getByTestId("expert-card").filter({ hasText: "Pension planning for expats" });
      await listed.getByText("Verified").waitFor(LIVE);

      assertNoProblems(applicant.problems, staff.problems);
    } catch (err) {
      await applicant.page.screenshot({ path: `${RESULTS}/failure-applicant.png`, fullPage: true }).catch(() => undefined);
      await staff.page.screenshot({ path: `${RESULTS}/failure-staff.png`, fullPage: true }).catch(() => undefined);
      console.error([...applicant.problems, ...staff.problems].join("\n"));
      throw err;
    } finally {
      await applicant.context.close();
      await staff.context.close();
    }
  });
});

describe("realtime resume", () => {
  test("a dropped socket reconnects and shows the messages it missed, once each, in order", async () => {
    const client = await newWatchedPage(chrome.browser, server.baseUrl, { name: "resume-client" });
    const expert = await newWatchedPage(chrome.browser, server.baseUrl, { name: "resume-expert" });
    try {
      const { page: a, context } = client;
      const { page: b } = expert;
      // Every socket of the client's page goes through this route (reconnects add
      // ?epoch=…&offset=… to resume the stream), so the test can cut it.
      let blocked = false;
      const sockets = [];
      await context.routeWebSocket(/\/ws\/(\?.*)?$/, (ws) => {
        if (blocked) {
          ws.close({ code: 4000, reason: "test: network down" });
          return;
        }
        ws.connectToServer();
        sockets.push(ws);
      });

      await signUp(a, `rio.${Date.now()}@example.com`);
      await a.getByRole("link", { name: `View ${EXPERT_NAME} and book` }).click();
      await a.getByRole("link", { name: /^Message / }).click();
      await a.waitForURL(/\/consultations\/chat\/\d+$/, LIVE);
      const composerA = a.getByLabel("Message", { exact: true });
      await composerA.fill("first");
      await composerA.press("Enter");
      await a.getByTestId("message").filter({ hasText: "first" }).locator('[data-testid="receipt"]').filter({ hasText: "Sent" }).waitFor(LIVE);
      await markDocument(a);

      await signIn(b, EXPERT_EMAIL, DEMO_PASSWORD);
      await b.goto("/consultations/chat");
      await b.getByTestId("conversation-link").filter({ hasText: "Erin" }).first().click();
      await b.getByTestId("message").filter({ hasText: "first" }).waitFor(LIVE);

      // Cut the client's socket and keep it down while the expert writes.
      blocked = true;
      for (const ws of sockets.splice(0)) ws.close({ code: 4000, reason: "test: drop" });
      await a.locator('[data-testid="connection-status"][data-status="reconnecting"]').waitFor(LIVE);
      const composerB = b.getByLabel("Message", { exact: true });
      for (const text of ["missed one", "missed two"]) {
        await composerB.fill(text);
        await composerB.press("Enter");
        await b.getByTestId("message").filter({ hasText: text }).locator('[data-testid="receipt"]').filter({ hasText: "Sent" }).waitFor(LIVE);
      }
      assert.equal(await a.getByTestId("message").filter({ hasText: "missed" }).count(), 0);

      // Back online: the resume brings both, exactly once, after "first".
      blocked = false;
      await waitLive(a);
      await a.getByTestId("message").filter({ hasText: "missed two" }).waitFor(LIVE);
      const texts = (await a.getByTestId("message").getByTestId("message-text").allTextContents()).map((t) => t.trim());
      assert.deepEqual(texts, ["first", "missed one", "missed two"]);
      await assertNotReloaded(a);
      // And reading them sends the receipt back to the expert.
      await b.locator('[data-testid="message"][data-receipt="read"]').filter({ hasText: "missed two" }).waitFor(LIVE);

      const problems = client.problems.filter((p) => !/WebSocket/.test(p));
      assertNoProblems(problems, expert.problems);
    } catch (err) {
      await client.page.screenshot({ path: `${RESULTS}/failure-resume-client.png`, fullPage: true }).catch(() => undefined);
      console.error([...client.problems, ...expert.problems].join("\n"));
      throw err;
    } finally {
      await client.context.close();
      await expert.context.close();
    }
  });
});
