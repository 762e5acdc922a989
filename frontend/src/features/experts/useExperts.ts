/**
 * The expert list for the filters in the URL: one page of experts with prices compared in one
 * display currency, the currencies the server converts into, and the expertise and languages seen
 * so far (offered as suggestions in the filters).
 */
import { useMemo } from "react";

import { api, unwrap } from "../../api/client";
import { loadCurrencies, preferredDisplayCurrency } from "../../lib/currency";
import { languageName } from "../../lib/languages";
import { useAsync } from "../../lib/useAsync";

export type Ordering = "rating" | "-rating" | "price" | "-price" | "availability" | "-availability" | "reviews" | "-reviews";

export const PAGE_SIZE = 12;

export function useExperts(params: URLSearchParams, profileCurrency: string | null) {
  const page = Number(params.get("page") || "1");
  const query = params.toString();
  const { data, error, loading, reload } = useAsync(async () => {
    const num = (key: string) => (params.get(key) ? Number(params.get(key)) : undefined);
    const ordering = params.get("ordering") as Ordering | null;
    // Prices are always compared in one currency, so a € and a $ rate never sort as equals.
    const supported = (await loadCurrencies()).currencies.map((c) => c.code);
    const asked = params.get("display_currency");
    const displayCurrency = asked && supported.includes(asked) ? asked : preferredDisplayCurrency(supported, profileCurrency);
    const list = await unwrap(
      api.GET("/api/v1/consultations/experts/", {
        params: {
          query: {
            search: params.get("search") || undefined,
            expertise: params.get("expertise") || undefined,
            language: params.get("language") || undefined,
            currency: params.get("currency") || undefined,
            display_currency: displayCurrency,
            min_price: num("min_price"),
            max_price: num("max_price"),
            min_rating: num("min_rating"),
            verified: params.get("verified") || undefined,
            ordering: ordering ? [ordering] : undefined,
            page,
            page_size: PAGE_SIZE,
          },
        },
      }),
    );
    return { ...list, displayCurrency, supported };
    // The query string stands for every param read above.
  }, [query, profileCurrency]);

  // Offer the expertise and languages seen so far as suggestions.
  const suggestions = useMemo(() => {
    const areas = new Set<string>();
    const langs = new Set<string>();
    for (const e of data?.results ?? []) {
      e.expertise_areas.forEach((a) => areas.add(a));
      e.languages.forEach((l) => langs.add(languageName(l)));
    }
    return { areas: [...areas].sort(), langs: [...langs].sort() };
  }, [data]);

  const totalPages = data ? Math.max(1, Math.ceil(data.count / PAGE_SIZE)) : 1;
  return { data, error, loading, reload, page, totalPages, displayCurrency: data?.displayCurrency ?? "", suggestions };
}
