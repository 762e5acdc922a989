// End-to-end at phone size (390x844, touch): chat as an app screen.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { DEMO_PASSWORD, PHONE, RESULTS, launchBrowser, newWatchedPage, startServer } from "./harness.mjs";

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

async function signIn(page, email) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"), LIVE);
}

function inViewport(box, viewport) {
  return box && box.y >= 0 && box.y + box.height <= viewport.height + 1 && box.x >= 0 && box.x + box.width <= viewport.width + 1;
}

describe("booking on a phone", () => {
  test("a visitor picks a slot, reloads, signs in and comes back to the same step, books, adds it to a calendar", async () => {
    const expertId = server.shell(`
from consultations.models import Expert
print(Expert.objects.get(user__email="lucas.pereira@demo.consult").pk)
`).trim().split("\n").pop();
    const visitor = await newWatchedPage(chrome.browser, server.baseUrl, { name: "phone-booker", device: PHONE, timezoneId: "Europe/Berlin" });
    try {
      const { page } = visitor;
      await page.goto(`/consultations/book?expert=${expertId}`);
      await page.getByRole("heading", { name: "Lucas Pereira" }).waitFor(LIVE);
      await page.getByTestId("viewer-tz").filter({ hasText: "Europe/Berlin" }).waitFor(LIVE);
      // The month calendar marks days with free times; one is chosen and its times are listed.
      await page.locator('[data-testid="day"][aria-pressed="true"]').waitFor(LIVE);
      await page.getByRole("radio", { name: /60 min/ }).check();
      await page.waitForURL(/length=60/, LIVE);
      const slot = page.getByTestId("slot").first();
      await slot.waitFor(LIVE);
      const startUtc = await slot.getAttribute("data-start");
      // 24-hour clock on request.
      await page.getByRole("button", { name: "24 h" }).click();
      assert.match((await slot.textContent()).trim(), /^\d{2}:\d{2}$/);
      await slot.click();

      // Step 2 restates the time in both zones, the length and the price.
      const summary = page.getByTestId("selected-slot");
      await summary.waitFor(LIVE);
      const text = await summary.textContent();
      assert.match(text, /Europe\/Berlin/);
      assert.match(text, /For Lucas/);
      assert.match(text, /Europe\/Lisbon/);
      assert.match(text, /60 minutes/);
      assert.match(text, /110\.00/);
      assert.doesNotMatch(text, /awaiting payment/i);
      assert.match(page.url(), /length=60/);
      await page.getByLabel("Topic").fill("D7 visa documents");
      await page.getByLabel("Notes for the expert (optional)").fill("I arrive in March.");
      await page.waitForTimeout(400);
      await page.screenshot({ path: `${RESULTS}/phone-booking-confirm.png`, fullPage: true });

      // A reload keeps the step, the slot, the topic and the notes.
      await page.reload();
      await page.getByTestId("selected-slot").waitFor(LIVE);
      assert.equal(await page.getByLabel("Topic").inputValue(), "D7 visa documents");
      assert.equal(await page.getByLabel("Notes for the expert (optional)").inputValue(), "I arrive in March.");

      // Signing in comes back to the same step with everything still chosen.
      await page.getByRole("button", { name: "Sign in to book" }).click();
      await page.waitForURL(/\/login/, LIVE);
      await page.getByLabel("Email").fill("client@demo.consult");
      await page.getByLabel("Password").fill(DEMO_PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByTestId("selected-slot").waitFor(LIVE);
      assert.equal(await page.getByLabel("Topic").inputValue(), "D7 visa documents");
      assert.equal(new URL(page.url()).searchParams.get("slot"), startUtc);
      await page.getByRole("button", { name: "Book this time" }).click();

      // The success page offers the calendar: an .ics file and Google/Outlook links with the same time.
      await page.waitForURL(/\/consultations\/\d+$/, LIVE);
      await page.getByTestId("booking-success").waitFor(LIVE);
      const stamp = new Date(startUtc).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
      const ics = decodeURIComponent((await page.getByTestId("ics-download").getAttribute("href")).split(",")[1]);
      assert.match(ics, new RegExp(`DTSTART:${stamp}`));
      assert.match(await page.getByTestId("google-calendar").getAttribute("href"), new RegExp(stamp));
      assert.match(await page.getByTestId("money").textContent(), /paid to Lucas Pereira directly/);
      await page.screenshot({ path: `${RESULTS}/phone-booking-success.png`, fullPage: true });
      assert.deepEqual(visitor.problems, []);
    } catch (err) {
      await visitor.page.screenshot({ path: `${RESULTS}/failure-phone-booking.png`, fullPage: true }).catch(() => undefined);
      console.error(visitor.problems.join("\n"));
      throw err;
    } finally {
      await visitor.context.close();
    }
  });
});

describe("chat on a phone", () => {
  test("opens at the newest message with the composer on screen, loads history upwards, keeps the draft", async () => {
    // 70 messages: more than one page (50), alternating senders; the expert has read them all.
    const convId = server
      .shell(`
from django.contrib.auth.models import User
from consultations.models import Expert
from chat import services as chat
client = User.objects.get(email="client@demo.consult")
expert = Expert.objects.get(user__email="marcus.webb@demo.consult")
conv, _ = chat.get_or_create_conversation(user=client, expert_id=expert.pk)
for i in range(70):
    sender = expert.user if i % 4 == 3 else client
    chat.send_message(sender=sender, conversation_id=conv.pk, text=f"Message number {i}", client_id=f"phone-seed-{i}")
chat.mark_read(reader=expert.user, conversation_id=conv.pk)
print(conv.pk)
`)
      .trim()
      .split("\n")
      .pop();
    const client = await newWatchedPage(chrome.browser, server.baseUrl, { name: "phone-client", device: PHONE, timezoneId: "Europe/Berlin" });
    try {
      const { page } = client;
      const viewport = page.viewportSize();
      await signIn(page, "client@demo.consult");
      await page.goto(`/consultations/chat/${convId}`);
      const newest = page.getByTestId("message").filter({ hasText: "Message number 69" });
      await newest.waitFor(LIVE);

      // Composer and newest message are both on the first screen; the page itself does not scroll.
      const composer = page.getByLabel("Message", { exact: true });
      assert.ok(inViewport(await composer.boundingBox(), viewport), "composer is on screen");
      await page.waitForTimeout(300);
      assert.ok(inViewport(await newest.boundingBox(), viewport), "newest message is on screen");
      assert.equal(await page.evaluate(() => document.scrollingElement.scrollHeight <= window.innerHeight + 1), true, "the page does not scroll");

      // One visible receipt: "Seen" on the last message the expert read (69 is the client's).
      const receipts = page.getByTestId("receipt");
      assert.deepEqual((await receipts.allTextContents()).map((t) => t.trim()), ["Seen"]);
      await newest.getByTestId("receipt").filter({ hasText: "Seen" }).waitFor(LIVE);
      // No action links on bubbles: actions live in a menu.
      assert.equal(await page.getByRole("button", { name: "Reply", exact: true }).count(), 0);

      // Older history loads when scrolling to the top, and the view stays where the reader was.
      assert.equal(await page.getByTestId("message").filter({ hasText: /^.*Message number 5$/ }).count(), 0);
      await page.getByTestId("messages").evaluate((el) => {
        el.scrollTop = 0;
        el.dispatchEvent(new Event("scroll"));
      });
      await page.getByTestId("message").filter({ hasText: "Message number 0" }).waitFor({ state: "attached", ...LIVE });
      const top = await page.getByTestId("messages").evaluate((el) => el.scrollTop);
      assert.ok(top > 200, `scroll position kept after loading older messages (scrollTop ${top})`);
      await page.screenshot({ path: `${RESULTS}/phone-chat.png` });

      // A long press opens the message menu; Reply from there.
      const theirs = page.getByTestId("message").filter({ hasText: "Message number 67" });
      await theirs.scrollIntoViewIfNeeded();
      const box = await theirs.getByTestId("bubble").boundingBox();
      const cdp = await page.context().newCDPSession(page);
      const point = { x: box.x + 10, y: box.y + 10, id: 1 };
      await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [point] });
      await page.waitForTimeout(700);
      await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
      await page.getByRole("menuitem", { name: "Reply" }).click();
      await page.getByText("Replying to:").waitFor(LIVE);

      // The draft survives a reload.
      await composer.fill("A draft I have not sent yet");
      await page.waitForTimeout(400);
      await page.reload();
      await page.getByLabel("Message", { exact: true }).waitFor(LIVE);
      assert.equal(await page.getByLabel("Message", { exact: true }).inputValue(), "A draft I have not sent yet");

      // Blocking is tucked into the conversation menu.
      await page.getByRole("button", { name: "Conversation options" }).click();
      await page.getByRole("menuitem", { name: /^Block/ }).waitFor(LIVE);
      await page.keyboard.press("Escape");

      // Sending clears the draft, and the new message shows "Sent" (the only receipt besides Seen).
      await page.getByLabel("Message", { exact: true }).fill("Sent from my phone");
      await page.getByLabel("Message", { exact: true }).press("Enter");
      await page.getByTestId("message").filter({ hasText: "Sent from my phone" }).getByTestId("receipt").filter({ hasText: "Sent" }).waitFor(LIVE);
      await page.reload();
      await page.getByTestId("message").filter({ hasText: "Sent from my phone" }).waitFor(LIVE);
      assert.equal(await page.getByLabel("Message", { exact: true }).inputValue(), "");

      assert.deepEqual(client.problems, []);
    } catch (err) {
      await client.page.screenshot({ path: `${RESULTS}/failure-phone-chat.png` }).catch(() => undefined);
      console.error(client.problems.join("\n"));
      throw err;
    } finally {
      await client.context.close();
    }
  });
});
