// End-to-end: an expert uploads a photo and writes a bio from the dashboard checklist; the
// photo is served re-encoded and shows on the public card; the cancel dialog and prices speak
// the booking's real money.
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
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

/** A w x h PNG of one colour, built by hand (no image library in the e2e run). */
function png(w, h, [r, g, b]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(w, 0);
  header.writeUInt32BE(h, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: w }, () => [r, g, b]).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: h }, () => row)));
  return Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n", "binary"), chunk("IHDR", header), chunk("IDAT", pixels), chunk("IEND", Buffer.alloc(0))]);
}

describe("expert profile and photo", () => {
  test("a new expert adds a photo and a bio from the checklist; the card shows the photo", async () => {
    // A freshly approved expert: hours set (so listed), no bio, no photo.
    server.shell(`
from datetime import time
from django.contrib.auth.models import User
from consultations.models import Expert, ExpertAvailability
u = User.objects.create_user(username="pia@e2e.test", email="pia@e2e.test", password="${DEMO_PASSWORD}", first_name="Pia", last_name="Photo")
e = Expert.objects.create(user=u, name="Pia Photo", headline="Career coach", verification_status="approved", hourly_rate=70, currency="EUR", timezone="Europe/Berlin")
for day in range(5):
    ExpertAvailability.objects.create(expert=e, weekday=day, start_time=time(9), end_time=time(17))
`);
    const expert = await newWatchedPage(chrome.browser, server.baseUrl, { name: "pia", device: PHONE, timezoneId: "Europe/Berlin" });
    try {
      const { page } = expert;
      await signIn(page, "pia@e2e.test");
      await page.goto("/consultations/expert");
      const checklist = page.getByTestId("onboarding");
      await checklist.waitFor(LIVE);
      await checklist.getByRole("link", { name: "Add photo" }).click();
      await page.waitForURL((u) => u.pathname === "/consultations/expert/profile", LIVE);

      // A GIF is refused in the browser before any upload.
      await page.getByTestId("photo-input").setInputFiles({ name: "x.gif", mimeType: "image/gif", buffer: Buffer.from("GIF89a") });
      await page.getByText("Choose a PNG, JPEG or WebP photo.").waitFor(LIVE);

      await page.getByTestId("photo-input").setInputFiles({ name: "me.png", mimeType: "image/png", buffer: png(300, 200, [20, 120, 200]) });
      await page.getByText(/Photo saved/).waitFor(LIVE);
      const img = page.getByTestId("photo-editor").locator("img.avatar");
      const src = await img.getAttribute("src");
      assert.match(src, /^\/api\/v1\/consultations\/experts\/photos\/[A-Za-z0-9_-]{22}-512\.webp$/);
      const served = await page.request.get(src);
      assert.equal(served.status(), 200);
      assert.equal(served.headers()["content-type"], "image/webp");
      assert.equal(served.headers()["x-content-type-options"], "nosniff");
      assert.match(served.headers()["cache-control"], /immutable/);
      assert.equal(await img.evaluate((el) => el.naturalWidth), 512);

      const bio = page.getByLabel("Bio");
      await bio.fill("I help engineers move into their first management role, with honest, practical advice.");
      // The draft survives a reload before it is saved.
      await page.waitForTimeout(400);
      await page.reload();
      await page.getByLabel("Bio").waitFor(LIVE);
      assert.match(await page.getByLabel("Bio").inputValue(), /first management role/);
      await page.getByRole("button", { name: "Save profile" }).click();
      await page.getByText("Profile saved. Clients see the changes right away.").waitFor(LIVE);
      await page.screenshot({ path: `${RESULTS}/profile-01-phone.png`, fullPage: true });

      // Both steps are done: the checklist says so by going away.
      await page.goto("/consultations/expert");
      await page.getByRole("heading", { name: "Expert dashboard" }).waitFor(LIVE);
      await page.getByRole("tab", { name: "Agenda" }).waitFor(LIVE);
      assert.equal(await page.getByTestId("onboarding").count(), 0);

      // Visitors see the 128 px photo on Pia's card.
      await page.goto("/consultations?search=Pia");
      const card = page.locator("article", { hasText: "Pia Photo" });
      await card.waitFor(LIVE);
      assert.match(await card.locator("img.avatar").getAttribute("src"), /-128\.webp$/);
      assert.deepEqual(expert.problems, []);
    } finally {
      await expert.context.close();
    }
  });
});
