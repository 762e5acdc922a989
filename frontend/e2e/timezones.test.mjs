// End-to-end: a client in New York and an expert in Paris read the same booking each in
// their own zone, with the zone named, in their own 12/24-hour clock — pages, in-app
// notifications and the account settings page (issue 14).
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

/** The expected text, written independently of the app's formatter with plain Intl. */
function span(startIso, endIso, timeZone, hour12, zoneLocale) {
  const parts = (iso) => {
    const p = new Intl.DateTimeFormat("en-US", {
      timeZone, weekday: "short", day: "numeric", month: "short", hour: "numeric", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date(iso));
    const get = (t) => p.find((x) => x.type === t).value;
    const hour = Number(get("hour")) % 24;
    const minute = get("minute");
    const clock = hour12 ? `${hour % 12 || 12}:${minute}` : `${String(hour).padStart(2, "0")}:${minute}`;
    return { day: `${get("weekday")} ${get("day")} ${get("month")}`, clock, pm: hour >= 12 };
  };
  const zone = new Intl.DateTimeFormat(zoneLocale, { timeZone, timeZoneName: "short" })
    .formatToParts(new Date(startIso))
    .find((x) => x.type === "timeZoneName").value;
  const a = parts(startIso);
  const b = parts(endIso);
  if (!hour12) return `${a.day}, ${a.clock}–${b.clock} ${zone}`;
  const half = (x) => (x.pm ? "PM" : "AM");
  return a.pm === b.pm ? `${a.day}, ${a.clock}–${b.clock} ${half(b)} ${zone}` : `${a.day}, ${a.clock} ${half(a)}–${b.clock} ${half(b)} ${zone}`;
}

async function api(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1] ?? "";
      const res = await fetch(path, {
        method,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: body ? JSON.stringify(body) : undefined,
        credentials: "same-origin",
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    },
    { method, path, body },
  );
}

describe("every person's own clock", () => {
  test("a client in New York and an expert in Paris each read the booking in their zone", async () => {
    const client = await newWatchedPage(chrome.browser, server.baseUrl, { timezoneId: "America/New_York", name: "ny-client", device: { locale: "en-US" } });
    const expert = await newWatchedPage(chrome.browser, server.baseUrl, { timezoneId: "Europe/Paris", name: "paris-expert", device: { locale: "en-GB" } });
    try {
      const { page: a } = client;
      const { page: b } = expert;

      // The client signs up; the browser's zone and 12-hour habit become the profile's.
      await a.goto("/signup");
      await a.getByLabel("First name").fill("Nora");
      await a.getByLabel("Last name").fill("York");
      await a.getByLabel("Email").fill(`nora.${Date.now()}@example.com`);
      await a.getByLabel("Password").fill("a-long-pass-phrase-42");
      await a.getByRole("button", { name: "Sign up" }).click();
      await a.waitForURL("**/consultations", LIVE);
      const me = await api(a, "GET", "/api/v1/auth/me/");
      assert.equal(me.body.timezone, "America/New_York");
      assert.equal(me.body.time_format, "12h");

      // It books the expert's first free slot (through the API the booking page uses).
      const experts = await api(a, "GET", `/api/v1/consultations/experts/?search=${encodeURIComponent("Laurent")}`);
      const amelie = experts.body.results.find((e) => e.name === EXPERT_NAME);
      const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
      const slots = await api(a, "GET", `/api/v1/consultations/experts/${amelie.id}/time-slots/?tz=America/New_York&from=${day(1)}&to=${day(14)}`);
      assert.equal(slots.status, 200, JSON.stringify(slots.body));
      const slot = slots.body.slots[0];
      const booked = await api(a, "POST", "/api/v1/consultations/consultations/book/", {
        expert_id: amelie.id,
        start_at: slot.start,
        duration_minutes: slot.duration_minutes,
        timezone: "America/New_York",
        topic: "Opening a company in France",
      });
      assert.equal(booked.status, 201, JSON.stringify(booked.body));
      const c = booked.body;
      assert.equal(c.client_timezone, "America/New_York");

      const nyText = span(c.start_at, c.end_at, "America/New_York", true, "en-US");
      const parisText = span(c.start_at, c.end_at, "Europe/Paris", false, "en-GB");
      assert.match(nyText, / (EST|EDT)$/);
      assert.match(parisText, / (CET|CEST)$/);

      // The client's page: New York time, 12-hour, zone named.
      await a.goto(`/consultations/${c.id}`);
      await a.getByText(nyText).first().waitFor(LIVE);
      await a.screenshot({ path: `${RESULTS}/tz-01-client-ny.png`, fullPage: true });

      // The expert's page and in-app notification: Paris time, 24-hour, zone named.
      await b.goto("/login");
      await b.getByLabel("Email").fill(EXPERT_EMAIL);
      await b.getByLabel("Password").fill(DEMO_PASSWORD);
      await b.getByRole("button", { name: "Sign in" }).click();
      await b.waitForURL((url) => !url.pathname.startsWith("/login"), LIVE);
      await b.goto(`/consultations/${c.id}`);
      await b.getByText(parisText).first().waitFor(LIVE);
      const notes = await api(b, "GET", "/api/v1/notifications/");
      const note = notes.body.results.find((n) => n.data?.consultation_id === c.id);
      assert.ok(note, "the expert has an in-app notification for the booking");
      assert.equal(note.title, "New booking request from Nora York");
      assert.ok(note.body.includes(parisText), `${note.body} should include ${parisText}`);
      await b.screenshot({ path: `${RESULTS}/tz-02-expert-paris.png`, fullPage: true });

      // The expert switches to a 12-hour clock in the account settings; every page follows.
      await b.goto("/account");
      await b.getByRole("heading", { name: "Account settings" }).waitFor(LIVE);
      assert.equal(await b.getByLabel("Time zone").inputValue(), "Europe/Paris");
      await b.getByLabel("12-hour (4:00 PM)").check();
      await b.getByTestId("time-sample").filter({ hasText: "10:00–10:30 AM CET" }).waitFor(LIVE);
      await b.getByRole("button", { name: "Save", exact: true }).click();
      await b.getByText("Saved. Every time is now shown in Europe/Paris.").waitFor(LIVE);
      await b.screenshot({ path: `${RESULTS}/tz-03-expert-settings.png`, fullPage: true });
      await b.goto(`/consultations/${c.id}`);
      await b.getByText(span(c.start_at, c.end_at, "Europe/Paris", true, "en-GB")).first().waitFor(LIVE);

      // The client's settings page shows the detected zone and a sample in its clock.
      await a.goto("/account");
      assert.equal(await a.getByLabel("Time zone").inputValue(), "America/New_York");
      await a.getByTestId("time-sample").filter({ hasText: "Tue 1 Dec, 4:00–4:30 AM EST" }).waitFor(LIVE);
      await a.setViewportSize({ width: 390, height: 844 });
      await a.screenshot({ path: `${RESULTS}/tz-05-client-settings-phone.png`, fullPage: true });

      assert.deepEqual([...client.problems, ...expert.problems], []);
    } catch (err) {
      await client.page.screenshot({ path: `${RESULTS}/tz-failure-client.png`, fullPage: true }).catch(() => undefined);
      await expert.page.screenshot({ path: `${RESULTS}/tz-failure-expert.png`, fullPage: true }).catch(() => undefined);
      console.error([...client.problems, ...expert.problems].join("\n"));
      throw err;
    } finally {
      await client.context.close();
      await expert.context.close();
    }
  });

  test("forgot password answers alike for any address", async () => {
    const visitor = await newWatchedPage(chrome.browser, server.baseUrl, { name: "visitor" });
    try {
      const { page } = visitor;
      await page.goto("/login");
      await page.getByRole("link", { name: "Forgot your password?" }).click();
      await page.getByLabel("Email").fill("nobody@example.com");
      await page.getByRole("button", { name: "Send the link" }).click();
      await page.getByText("If an account uses this email, we sent it a link").waitFor(LIVE);
      await page.screenshot({ path: `${RESULTS}/tz-04-forgot-password.png` });
      assert.deepEqual(visitor.problems, []);
    } finally {
      await visitor.context.close();
    }
  });
});
