import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { mockFetch } from "../test/fetchMock";
import { AdminApplicationsPage } from "./AdminApplicationsPage";

const APP = {
  id: 3,
  applicant: { id: 9, name: "Ana Silva", email: "ana@example.com" },
  status: "pending",
  headline: "Visa lawyer",
  motivation: "Help",
  expertise: "Visas",
  experience: "10 years",
  expertise_areas: ["Visas"],
  languages: ["pt"],
  hourly_rate: "80.00",
  currency: "EUR",
  timezone: "Europe/Lisbon",
  documents: [],
  review_notes: "",
  submitted_at: "2026-11-29T10:00:00Z",
};

afterEach(() => vi.unstubAllGlobals());

describe("AdminApplicationsPage", () => {
  it("says what an approval did, after the card leaves the pending list", async () => {
    let reviewed = false;
    const calls = mockFetch((url, init) => {
      if (url.pathname === "/api/v1/consultations/admin/applications/")
        return { status: 200, body: { count: reviewed ? 0 : 1, next: null, previous: null, results: reviewed ? [] : [APP] } };
      if (url.pathname === "/api/v1/consultations/admin/applications/3/review/" && init.method === "POST") {
        reviewed = true;
        return { status: 200, body: { ...APP, status: "approved" } };
      }
      return undefined;
    });
    vi.stubGlobal("scrollTo", () => undefined);
    render(<AdminApplicationsPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Approve" }));
    expect(await screen.findByText(/Approved Ana Silva\. They are now an expert and were notified/)).toBeInTheDocument();
    expect(await screen.findByText("No applications here.")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ decision: "approve", notes: "" });
  });

  it("asks for a note before rejecting", async () => {
    const calls = mockFetch((url) =>
      url.pathname === "/api/v1/consultations/admin/applications/"
        ? { status: 200, body: { count: 1, next: null, previous: null, results: [APP] } }
        : undefined,
    );
    render(<AdminApplicationsPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Reject" }));
    expect(await screen.findByText("Tell the applicant why, in the notes.")).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(0);
  });
});
