import { describe, expect, it } from "vitest";

import { moneyInWords, sessionPrice } from "./money";

const base = { price: "45.00", currency: "EUR", refund_amount: null };

describe("moneyInWords", () => {
  it("never claims a payment is awaited in the app", () => {
    const text = moneyInWords({ ...base, payment_status: "unpaid", status: "pending" }, "client", "Amélie");
    expect(text).not.toMatch(/awaiting/i);
    expect(text).toMatch(/paid to Amélie directly/);
    expect(text).toMatch(/45/);
  });

  it("says what is due after a late cancellation and nothing after a timely one", () => {
    expect(moneyInWords({ ...base, payment_status: "unpaid", status: "cancelled" }, "client", "Amélie")).toMatch(/still due/);
    expect(moneyInWords({ ...base, payment_status: "not_required", status: "cancelled" }, "client", "Amélie")).toMatch(/Nothing to pay/);
  });

  it("names refunds with their amount", () => {
    expect(moneyInWords({ ...base, payment_status: "refund_due", refund_amount: "45.00", status: "cancelled" }, "client", "A")).toMatch(/will be refunded/);
    expect(moneyInWords({ ...base, payment_status: "refunded", refund_amount: "20.00", status: "cancelled" }, "expert", "A")).toMatch(/20.*refunded/);
  });

  it("calls a zero price free", () => {
    expect(moneyInWords({ ...base, price: "0.00", payment_status: "not_required", status: "confirmed" }, "client", "A")).toBe("Free.");
  });
});

describe("sessionPrice", () => {
  it("prices a session from the hourly rate, rounded to cents", () => {
    expect(sessionPrice("90.00", 30)).toBe(45);
    expect(sessionPrice("100.00", 20)).toBe(33.33);
  });
});
