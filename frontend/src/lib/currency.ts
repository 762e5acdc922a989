/** The currency prices are compared and shown "≈" in: the viewer's choice, else their locale's. */
import { api, unwrap, type Schemas } from "../api/client";
import { readStored, writeStored } from "./stored";

/** The currencies the server converts into; asked once per page load. */
let currenciesRequest: Promise<Schemas["Currencies"]> | null = null;
export function loadCurrencies(): Promise<Schemas["Currencies"]> {
  currenciesRequest ??= unwrap(api.GET("/api/v1/consultations/experts/currencies/")).catch((err) => {
    currenciesRequest = null;
    throw err;
  });
  return currenciesRequest;
}

const EURO = ["AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PT", "SI", "SK"];
const BY_REGION: Record<string, string> = {
  ...Object.fromEntries(EURO.map((r) => [r, "EUR"])),
  US: "USD", GB: "GBP", CH: "CHF", CA: "CAD", AU: "AUD", NZ: "NZD", JP: "JPY", CN: "CNY", IN: "INR", SG: "SGD",
  BR: "BRL", MX: "MXN", SE: "SEK", NO: "NOK", DK: "DKK", PL: "PLN", CZ: "CZK", ZA: "ZAR", AE: "AED",
};

/** "fr-FR" -> "EUR", "en-GB" -> "GBP"; null when the locale names no region we know. */
export function localeCurrency(locale: string): string | null {
  let region: string | undefined;
  try {
    region = new Intl.Locale(locale).maximize().region;
  } catch {
    region = locale.split(/[-_]/)[1];
  }
  return (region && BY_REGION[region.toUpperCase()]) || null;
}

/**
 * The choice made on the experts page, else the account setting, else the browser locale's
 * currency, else USD — whichever the server can convert into first.
 */
export function preferredDisplayCurrency(supported: string[], profileCurrency?: string | null): string {
  const chosen = readStored<string | null>("pref:currency", null);
  if (chosen && supported.includes(chosen)) return chosen;
  if (profileCurrency && supported.includes(profileCurrency)) return profileCurrency;
  const fromLocale = localeCurrency(navigator.language || "en-US");
  if (fromLocale && supported.includes(fromLocale)) return fromLocale;
  return supported.includes("USD") ? "USD" : (supported[0] ?? "USD");
}

export function rememberDisplayCurrency(code: string): void {
  writeStored("pref:currency", code);
}
