import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";

import { AuthProvider } from "../auth/AuthContext";
import { photoProblem } from "../components/profile/PhotoEditor";
import { mockFetch } from "../test/fetchMock";
import { ExpertProfileEditPage, splitTags } from "./ExpertProfileEditPage";

const PROFILE = {
  id: 7,
  name: "Ana Silva",
  headline: "Visa lawyer",
  avatar_url: null,
  avatar_thumb_url: null,
  is_verified: true,
  expertise_areas: ["Visas"],
  languages: ["pt"],
  hourly_rate: "80.00",
  currency: "EUR",
  timezone: "Europe/Lisbon",
  session_lengths: [30, 60],
  average_rating: "0",
  review_count: 0,
  next_available_at: null,
  bio: "",
  has_photo: false,
  verification_status: "approved",
  verified_at: null,
  updated_at: "2026-11-30T10:00:00Z",
};

afterEach(() => {
  vi.unstubAllGlobals();
  window.localStorage.clear();
});

function renderPage() {
  return render(
    <MemoryRouter>
      <AuthProvider>
        <ExpertProfileEditPage />
      </AuthProvider>
    </MemoryRouter>,
  );
}

describe("ExpertProfileEditPage", () => {
  it("saves the bio, expertise and languages and says so", async () => {
    const calls = mockFetch((url, init) => {
      if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { user: null } };
      if (url.pathname === "/api/v1/consultations/experts/me/" && init.method === "GET") return { status: 200, body: PROFILE };
      if (url.pathname === "/api/v1/consultations/experts/me/" && init.method === "PATCH")
        return { status: 200, body: { ...PROFILE, ...(init.body as object), updated_at: "2026-11-30T10:05:00Z" } };
      return undefined;
    });
    renderPage();
    const bio = await screen.findByLabelText("Bio");
    expect(screen.getByText(/at least 40 characters; 0 so far/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Save profile" })).toBeDisabled();
    await userEvent.click(bio);
    await userEvent.paste("I help families and workers move to Portugal legally.");
    const expertise = screen.getByLabelText("Expertise");
    await userEvent.clear(expertise);
    await userEvent.paste("Visas, residence permits ,visas");
    await userEvent.click(screen.getByRole("checkbox", { name: "English" }));
    await userEvent.click(screen.getByRole("button", { name: "Save profile" }));
    expect(await screen.findByText("Profile saved. Clients see the changes right away.")).toBeInTheDocument();
    const patch = calls.find((c) => c.method === "PATCH");
    expect(patch?.body).toEqual({
      name: "Ana Silva",
      headline: "Visa lawyer",
      bio: "I help families and workers move to Portugal legally.",
      expertise_areas: ["Visas", "residence permits"],
      languages: ["pt", "en"],
    });
  });

  it("shows the server's field error next to the field", async () => {
    mockFetch((url, init) => {
      if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { user: null } };
      if (url.pathname === "/api/v1/consultations/experts/me/" && init.method === "GET") return { status: 200, body: PROFILE };
      if (init.method === "PATCH")
        return { status: 400, body: { error: { code: "invalid", message: "Bad input", fields: { headline: ["At most 200 characters."] } } } };
      return undefined;
    });
    renderPage();
    await userEvent.type(await screen.findByLabelText("Headline"), "!");
    await userEvent.click(screen.getByRole("button", { name: "Save profile" }));
    expect(await screen.findByText("At most 200 characters.")).toBeInTheDocument();
  });
});

describe("photo checks before upload", () => {
  it("refuses other types, big and empty files", () => {
    expect(photoProblem({ type: "image/gif", size: 10 })).toMatch(/PNG, JPEG or WebP/);
    expect(photoProblem({ type: "image/jpeg", size: 6 * 1024 * 1024 })).toMatch(/larger than 5 MB/);
    expect(photoProblem({ type: "image/webp", size: 0 })).toMatch(/empty/);
    expect(photoProblem({ type: "image/png", size: 1000 })).toBeNull();
  });

  it("splits tags, trimming and dropping repeats", () => {
    expect(splitTags(" Tax ,  VAT  returns, tax,,")).toEqual(["Tax", "VAT returns"]);
  });
});
