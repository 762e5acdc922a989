import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";

import { AuthProvider } from "../../auth/AuthContext";
import { RealtimeClient } from "../../realtime/client";
import { RealtimeProvider } from "../../realtime/RealtimeProvider";
import { mockFetch } from "../../test/fetchMock";
import { ExpertReviews } from "./ExpertReviews";

const Never = class {
  readyState = 0;
  onopen = null;
  onclose = null;
  onerror = null;
  onmessage = null;
  send() {}
  close() {}
};

function review(id: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    consultation_id: 100 + id,
    expert_id: 7,
    rating: 4,
    text: `Review ${id}`,
    created_at: "2026-03-01T09:00:00Z",
    author_name: "Cleo C.",
    reply: "",
    replied_at: null,
    reply_edited_at: null,
    is_hidden: false,
    hidden_at: null,
    hidden_reason: "",
    can_reply: true,
    can_hide: false,
    ...extra,
  };
}

function renderList() {
  return render(
    <MemoryRouter>
      <AuthProvider>
        <RealtimeProvider client={new RealtimeClient({ WebSocketImpl: Never, pingIntervalMs: 0 })}>
          <ExpertReviews expertId={7} expertName="Erin" average="4.00" count={11} />
        </RealtimeProvider>
      </AuthProvider>
    </MemoryRouter>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("ExpertReviews", () => {
  it("pages with Show more and lets the expert reply publicly", async () => {
    const calls = mockFetch((url, { method, body }) => {
      if (url.pathname === "/api/v1/auth/session/") return { status: 200, body: { authenticated: false, user: null } };
      if (url.pathname === "/api/v1/consultations/experts/7/reviews/") {
        const page = url.searchParams.get("page");
        if (page === "2") return { status: 200, body: { count: 11, next: null, previous: "p1", results: [review(1)] } };
        const results = Array.from({ length: 10 }, (_, i) => review(11 - i));
        return { status: 200, body: { count: 11, next: "p2", previous: null, results } };
      }
      if (url.pathname === "/api/v1/consultations/reviews/11/reply/" && method === "PUT")
        return { status: 200, body: review(11, { reply: (body as { reply: string }).reply, replied_at: "2026-03-02T09:00:00Z" }) };
    });
    renderList();
    expect(await screen.findByText("Review 11")).toBeInTheDocument();
    expect(screen.getAllByTestId("review")).toHaveLength(10);
    await userEvent.click(screen.getByRole("button", { name: "Show more reviews" }));
    expect(await screen.findByText("Review 1")).toBeInTheDocument();
    expect(screen.getAllByTestId("review")).toHaveLength(11);
    expect(screen.queryByRole("button", { name: "Show more reviews" })).toBeNull();

    const first = screen.getAllByTestId("review")[0];
    await userEvent.click(within(first).getByRole("button", { name: "Reply publicly" }));
    await userEvent.type(within(first).getByLabelText(/Your public reply/), "  Thank you!  ");
    await userEvent.click(within(first).getByRole("button", { name: "Save reply" }));
    expect(await within(first).findByText("Thank you!")).toBeInTheDocument();
    expect(within(first).getByText("Reply from Erin")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "PUT")?.body).toEqual({ reply: "Thank you!" });
  });
});
