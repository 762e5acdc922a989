import { describe, expect, it } from "vitest";

import { cancellationInWords, moneyInWords, sessionPrice } from "./money";

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

describe("cancellationInWords", () => {
  const c = { price: "45.00", currency: "EUR" };
  const full = { percent: 100, amount: "45.00", reason: "Cancelled 24 h or more before the start (moderate policy): full refund." };
  const half = { percent: 50, amount: "22.50", reason: "Cancelled less than 24 h before the start (moderate policy): 50 % refund." };

  it("never promises a refund when nothing was paid", () => {
    const text = cancellationInWords({ ...c, payment_status: "unpaid" }, full, "client", "Amélie");
    expect(text).toBe("Nothing has been paid, and cancelling now costs you nothing.");
    expect(text).not.toMatch(/refund/);
    const late = cancellationInWords({ ...c, payment_status: "unpaid" }, half, "client", "Amélie");
    expect(late).toMatch(/Nothing has been paid yet/);
    expect(late).toMatch(/22[.,]50.*due to Amélie as a cancellation fee/);
    expect(late).toMatch(/Cancelled less than 24 h before the start \(moderate policy\)\.$/);
  });

  it("names the refund of what was paid", () => {
    expect(cancellationInWords({ ...c, payment_status: "paid" }, full, "client", "Amélie")).toMatch(/You paid €45.00; cancelling now, all of it is refunded/);
    expect(cancellationInWords({ ...c, payment_status: "paid" }, half, "client", "Amélie")).toMatch(/refunds €22.50 \(50 %\)/);
    expect(cancellationInWords({ ...c, payment_status: "paid" }, full, "expert", "Chris")).toBe("Chris paid €45.00; cancelling now, you refund all of it.");
  });

  it("says free bookings cost nothing", () => {
    expect(cancellationInWords({ price: "0.00", currency: "EUR", payment_status: "not_required" }, full, "client", "A")).toMatch(/free/);
  });
});
