"""Approximate currency conversion for comparing prices in the marketplace.

Experts price in their own currency. To sort and filter one list by price, every rate is
converted into the viewer's display currency inside the query (a CASE over the configured
rates), so ordering and LIMIT/OFFSET stay in SQL. The rates are settings.CURRENCY_RATES:
how many units of settings.CURRENCY_BASE one unit of each currency is worth. They are
approximate and only for comparing; a booking is always priced and paid in the expert's
own currency. A currency without a rate cannot be converted: its experts sort last by
price and do not match a price range given in another currency.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Case, DecimalField, ExpressionWrapper, F, Value, When
from django.db.models.expressions import Expression

from project.api_errors import ServiceError

_DECIMAL: DecimalField[Decimal, Decimal] = DecimalField(max_digits=24, decimal_places=8)
# Enough digits for small units (JPY to USD is ~0.0067) without drifting when multiplied.
RATE_PLACES = Decimal("0.00000001")


def rates() -> dict[str, Decimal]:
    """Currency code -> worth of one unit in the base currency (the base itself is 1)."""
    table = {code.upper(): Decimal(str(value)) for code, value in settings.CURRENCY_RATES.items()}
    table[settings.CURRENCY_BASE.upper()] = Decimal(1)
    return table


def display_currency(code: str | None) -> str:
    """A supported display currency: the one asked for, else the base currency."""
    if not code:
        return settings.CURRENCY_BASE.upper()
    code = code.strip().upper()
    if code not in rates():
        raise ServiceError(
            f"'{code}' cannot be shown; use one of {', '.join(sorted(rates()))}.",
            field="display_currency",
            code="unsupported_currency",
        )
    return code


def factor(source: str, target: str) -> Decimal | None:
    """Multiply an amount in `source` by this to get `target`; None when unknown."""
    table = rates()
    if source.upper() not in table or target.upper() not in table:
        return None
    return (table[source.upper()] / table[target.upper()]).quantize(RATE_PLACES)


def convert(amount: Decimal, source: str, target: str) -> Decimal | None:
    if source.upper() == target.upper():
        return amount
    f = factor(source, target)
    if f is None:
        return None
    return (amount * f).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def converted_price(target: str, field: str = "hourly_rate") -> Expression:
    """SQL for `field` (priced in the row's `currency`) in `target`; NULL when unknown."""
    whens = [
        When(currency=code, then=Value(factor(code, target), output_field=_DECIMAL))
        for code in sorted(rates())
    ]
    rate = Case(*whens, default=Value(None, output_field=_DECIMAL), output_field=_DECIMAL)
    return ExpressionWrapper(F(field) * rate, output_field=_DECIMAL)
