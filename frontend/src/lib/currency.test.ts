import { afterEach, describe, expect, it } from "vitest";

import { localeCurrency, preferredDisplayCurrency, rememberDisplayCurrency } from "./currency";

afterEach(() => window.localStorage.clear());

describe("display currency", () => {
  it("follows the locale's region", () => {
    expect(localeCurrency("fr-FR")).toBe("EUR");
    expect(localeCurrency("en-GB")).toBe("GBP");
    expect(localeCurrency("ja")).toBe("JPY");
    expect(localeCurrency("en-US")).toBe("USD");
    expect(localeCurrency("xx-QQ")).toBeNull();
  });

  it("prefers the saved choice when the server supports it", () => {
    rememberDisplayCurrency("GBP");
    expect(preferredDisplayCurrency(["EUR", "GBP", "USD"])).toBe("GBP");
    expect(preferredDisplayCurrency(["EUR", "USD"])).not.toBe("GBP");
  });
});
