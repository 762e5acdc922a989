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

  it("uses the account's currency when nothing was chosen on the page", () => {
    expect(preferredDisplayCurrency(["EUR", "GBP", "USD"], "GBP")).toBe("GBP");
    expect(preferredDisplayCurrency(["EUR", "USD"], "GBP")).not.toBe("GBP");
    rememberDisplayCurrency("EUR");
    expect(preferredDisplayCurrency(["EUR", "GBP", "USD"], "GBP")).toBe("EUR");
  });

  it("prefers the saved choice when the server supports it", () => {
    rememberDisplayCurrency("GBP");
    expect(preferredDisplayCurrency(["EUR", "GBP", "USD"])).toBe("GBP");
    expect(preferredDisplayCurrency(["EUR", "USD"])).not.toBe("GBP");
  });
});
