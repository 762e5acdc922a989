/** Prices and what is owed, in words. Consult takes no card payments: money is arranged with the expert. */
import { formatMoney } from "./time";

export function sessionPrice(hourlyRate: string | number, minutes: number): number {
  return Math.round(Number(hourlyRate) * minutes * 100 / 60) / 100;
}

export function priceLabel(amount: string | number, currency: string): string {
  return Number(amount) > 0 ? formatMoney(amount, currency) : "Free";
}

interface MoneyFacts {
  price: string;
  currency: string;
  payment_status: string;
  refund_amount?: string | null;
  status: string;
}

/**
 * One honest sentence about the money of a consultation, for the client or the expert.
 * Never says "awaiting payment": nothing can be paid in the app.
 */
export function moneyInWords(c: MoneyFacts, viewer: "client" | "expert", otherName: string): string {
  const price = formatMoney(c.price, c.currency);
  const refund = c.refund_amount && Number(c.refund_amount) > 0 ? formatMoney(c.refund_amount, c.currency) : null;
  if (Number(c.price) <= 0) return "Free.";
  switch (c.payment_status) {
    case "unpaid":
      if (c.status === "cancelled")
        return viewer === "client"
          ? `${price} is still due to ${otherName}: the cancellation came too late for a refund.`
          : `${price} is still due from ${otherName}: the cancellation came too late for a refund.`;
      return viewer === "client"
        ? `${price}, paid to ${otherName} directly. Consult does not charge your card.`
        : `${price}, paid to you directly by ${otherName}. Consult does not handle the payment.`;
    case "not_required":
      return c.status === "cancelled" ? `Nothing to pay: cancelled in time (the price was ${price}).` : "Nothing to pay.";
    case "paid":
      return viewer === "client" ? `${price} paid.` : `${price} received.`;
    case "refund_due":
      return viewer === "client" ? `${refund ?? price} will be refunded to you.` : `${refund ?? price} is to be refunded to ${otherName}.`;
    case "refunded":
      return `${refund ?? price} refunded.`;
    case "not_refundable":
      return `${price} paid; not refundable because the cancellation came too late.`;
    default:
      return price;
  }
}

interface RefundQuote {
  percent: number;
  amount: string;
  reason: string;
}

/** "Cancelled less than 24 h before the start (moderate policy): 50 % refund." -> the part before the colon. */
function policyPart(reason: string): string {
  return reason.replace(/:\s*[^:]*refund\.?\s*$/i, "").trim();
}

/**
 * What cancelling now means for the money, from the booking's real payment status and the
 * policy's quote: nothing paid means nothing is refunded (at most a fee stays due).
 */
export function cancellationInWords(
  c: Pick<MoneyFacts, "price" | "currency" | "payment_status">,
  quote: RefundQuote,
  viewer: "client" | "expert",
  otherName: string,
): string {
  const price = formatMoney(c.price, c.currency);
  if (Number(c.price) <= 0 || c.payment_status === "not_required") return "This consultation is free: cancelling costs nothing.";
  const why = policyPart(quote.reason);
  const kept = formatMoney(Math.max(0, Number(c.price) - Number(quote.amount)), c.currency);
  if (c.payment_status === "unpaid") {
    if (quote.percent === 100)
      return viewer === "client"
        ? "Nothing has been paid, and cancelling now costs you nothing."
        : `Nothing has been paid; after cancelling, ${otherName} owes nothing.`;
    return viewer === "client"
      ? `Nothing has been paid yet, but cancelling now leaves ${kept} of the ${price} due to ${otherName} as a cancellation fee. ${why}.`
      : `Nothing has been paid yet; cancelling now leaves ${kept} due from ${otherName}. ${why}.`;
  }
  if (c.payment_status === "paid") {
    if (quote.percent === 100)
      return viewer === "client"
        ? `You paid ${price}; cancelling now, all of it is refunded to you.`
        : `${otherName} paid ${price}; cancelling now, you refund all of it.`;
    if (quote.percent === 0)
      return viewer === "client" ? `You paid ${price}; cancelling now, none of it is refunded. ${why}.` : `${otherName} paid ${price}; none of it is refunded. ${why}.`;
    return viewer === "client"
      ? `You paid ${price}; cancelling now refunds ${formatMoney(quote.amount, c.currency)} (${quote.percent} %). ${why}.`
      : `${otherName} paid ${price}; cancelling now refunds ${formatMoney(quote.amount, c.currency)} (${quote.percent} %). ${why}.`;
  }
  return quote.reason;
}
