import { act, renderHook, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { mockFetch } from "../../test/fetchMock";
import { useExperts } from "./useExperts";

const expert = (id: number, areas: string[], languages: string[]) => ({ id, expertise_areas: areas, languages });
let calls: ReturnType<typeof mockFetch>;
let lastQuery: URLSearchParams;

beforeEach(() => {
  localStorage.clear();
  calls = mockFetch((url) => {
    if (url.pathname === "/api/v1/consultations/experts/currencies/") return { status: 200, body: { currencies: [{ code: "EUR" }, { code: "USD" }] } };
    if (url.pathname === "/api/v1/consultations/experts/") {
      lastQuery = url.searchParams;
      return {
        status: 200,
        body: { count: 25, next: "?page=3", previous: "?page=1", results: [expert(1, ["Tax", "VAT"], ["fr"]), expert(2, ["Tax"], ["en", "fr"])] },
      };
    }
  });
});

describe("useExperts", () => {
  it("asks for the URL's filters with prices in the account's currency and offers what it saw as suggestions", async () => {
    const params = new URLSearchParams("search=vat&min_rating=4&ordering=price&page=2");
    const { result } = renderHook(() => useExperts(params, "EUR"));
    await waitFor(() => expect(result.current.data).toBeDefined());
    expect(lastQuery.get("search")).toBe("vat");
    expect(lastQuery.get("min_rating")).toBe("4");
    expect(lastQuery.get("ordering")).toBe("price");
    expect(lastQuery.get("page")).toBe("2");
    expect(lastQuery.get("page_size")).toBe("12");
    expect(lastQuery.get("display_currency")).toBe("EUR");
    expect(lastQuery.has("language")).toBe(false);
    expect(result.current.displayCurrency).toBe("EUR");
    expect(result.current.data?.supported).toEqual(["EUR", "USD"]);
    expect(result.current.page).toBe(2);
    expect(result.current.totalPages).toBe(3);
    expect(result.current.suggestions.areas).toEqual(["Tax", "VAT"]);
    expect(result.current.suggestions.langs).toHaveLength(2);
  });

  it("uses a display currency named in the URL when the server converts into it, and reloads when the URL changes", async () => {
    const { result, rerender } = renderHook(({ q }: { q: string }) => useExperts(new URLSearchParams(q), "EUR"), { initialProps: { q: "display_currency=USD" } });
    await waitFor(() => expect(result.current.displayCurrency).toBe("USD"));
    const listCalls = () => calls.filter((c) => c.path === "/api/v1/consultations/experts/").length;
    expect(listCalls()).toBe(1);

    rerender({ q: "display_currency=XXX" });
    await waitFor(() => expect(result.current.displayCurrency).toBe("EUR"));
    expect(listCalls()).toBe(2);
    // The same query string (a new URLSearchParams object) does not fetch again.
    rerender({ q: "display_currency=XXX" });
    await act(() => new Promise((resolve) => setTimeout(resolve, 30)));
    expect(listCalls()).toBe(2);
  });
});
