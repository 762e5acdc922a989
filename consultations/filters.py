"""django-filter FilterSets for the expert list and the staff application list."""

from __future__ import annotations

from django.db import connection
from django.db.models import F, Q, QuerySet
from django_filters import rest_framework as filters

from consultations.models import Expert, ExpertApplication
from consultations.services import currency


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class NullsLastOrderingFilter(filters.OrderingFilter):
    """Ordering where experts without a value (e.g. no free slot) always come last.

    A stable `id` tie-breaker keeps pagination from repeating or skipping rows.
    """

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        if not value:
            return qs
        ordering = []
        for param in value:
            if not param:
                continue
            field = self.get_ordering_value(param)
            if field.startswith("-"):
                ordering.append(F(field[1:]).desc(nulls_last=True))
            else:
                ordering.append(F(field).asc(nulls_last=True))
        return qs.order_by(*ordering, "id")


def search_experts(qs: QuerySet, term: str) -> QuerySet:
    """Words in the name, headline, bio or expertise areas.

    PostgreSQL: full-text search (English stemming, so "visas" finds "visa", web-search
    syntax) plus a substring match for partial names. Other databases (SQLite in dev):
    every word must appear somewhere, case-insensitively.
    """
    area_names = Expert.expertise_areas.through.objects.filter(
        expertisearea__name__icontains=term
    ).values("expert_id")
    partial = Q(name__icontains=term) | Q(headline__icontains=term) | Q(pk__in=area_names)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        vector = SearchVector("name", "headline", "bio", config="english")
        query = SearchQuery(term, config="english", search_type="websearch")
        full_text = Expert.objects.annotate(doc=vector).filter(doc=query).values("pk")
        return qs.filter(partial | Q(pk__in=full_text))
    words = Q()
    for word in term.split():
        in_area = Expert.expertise_areas.through.objects.filter(
            expertisearea__name__icontains=word
        ).values("expert_id")
        words &= (
            Q(name__icontains=word)
            | Q(headline__icontains=word)
            | Q(bio__icontains=word)
            | Q(pk__in=in_area)
        )
    return qs.filter(partial | words)


class ExpertFilter(filters.FilterSet):
    expertise = filters.CharFilter(
        method="filter_expertise",
        label="Expertise area slug or name; comma-separated values match any.",
    )
    language = filters.CharFilter(
        method="filter_language",
        label="Language code or name (en, pt-br, Japanese); comma-separated values match any.",
    )
    # Prices are compared in the display currency (converted in SQL, services.currency), so
    # "price" ordering and the price range never mix € and $.
    min_price = filters.NumberFilter(
        field_name="price_display",
        lookup_expr="gte",
        label="Lowest hourly rate, in display_currency.",
    )
    max_price = filters.NumberFilter(
        field_name="price_display",
        lookup_expr="lte",
        label="Highest hourly rate, in display_currency.",
    )
    display_currency = filters.CharFilter(
        method="filter_display_currency",
        label=(
            "Currency that prices are compared (and converted) in, e.g. EUR; default "
            "CURRENCY_BASE. Approximate rates from settings.CURRENCY_RATES."
        ),
    )
    currency = filters.CharFilter(
        field_name="currency",
        lookup_expr="iexact",
        label="Only experts who price in this currency.",
    )
    min_rating = filters.NumberFilter(field_name="average_rating", lookup_expr="gte")
    verified = filters.BooleanFilter(method="filter_verified", label="Only verified experts.")
    search = filters.CharFilter(
        method="filter_search", label="Search name, headline, bio and expertise (full text)."
    )
    ordering = NullsLastOrderingFilter(
        fields=(
            ("average_rating", "rating"),
            ("price_display", "price"),
            ("next_available_at", "availability"),
            ("review_count", "reviews"),
        ),
        field_labels={
            "average_rating": "Rating",
            "price_display": "Price (in the display currency)",
            "next_available_at": "Soonest availability",
            "review_count": "Number of reviews",
        },
    )

    class Meta:
        model = Expert
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        target = currency.display_currency(self.form.cleaned_data.get("display_currency"))
        queryset = queryset.annotate(price_display=currency.converted_price(target))
        return super().filter_queryset(queryset)

    def filter_display_currency(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs  # applied in filter_queryset, before the price filters and ordering

    _form_class: type | None = None

    def get_form_class(self) -> type:
        # django-filter builds a new form class (every filter's form field, widget and
        # labels) for each request: 17 % of the list's CPU (py-spy, bench_core). These
        # filters never change, so the class is built once; each request still gets its
        # own form instance (and Django copies the fields into it).
        cls = type(self)
        form_class = cls.__dict__.get("_form_class")  # a subclass builds its own
        if form_class is None:
            form_class = super().get_form_class()
            cls._form_class = form_class
        return form_class

    # Membership tests use subqueries instead of joins, so an expert with two matching
    # areas still appears once and no DISTINCT is needed.
    def filter_expertise(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        values = _csv(value)
        if not values:
            return qs
        match = Q()
        for v in values:
            match |= Q(expertisearea__slug__iexact=v) | Q(expertisearea__name__iexact=v)
        through = Expert.expertise_areas.through.objects.filter(match).values("expert_id")
        return qs.filter(pk__in=through)

    def filter_language(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        values = _csv(value)
        if not values:
            return qs
        match = Q(language__code__in=[v.replace("_", "-").lower() for v in values])
        for v in values:
            match |= Q(language__name__iexact=v)
        through = Expert.languages.through.objects.filter(match).values("expert_id")
        return qs.filter(pk__in=through)

    def filter_verified(self, qs: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        approved = Q(verification_status=Expert.VerificationStatus.APPROVED)
        return qs.filter(approved if value else ~approved)

    def filter_search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        term = value.strip()[:200]
        if not term:
            return qs
        return search_experts(qs, term)


class ApplicationFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=ExpertApplication.Status.choices)
    search = filters.CharFilter(method="filter_search", label="Applicant e-mail or name.")

    class Meta:
        model = ExpertApplication
        fields: list[str] = []

    def filter_search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        term = value.strip()
        if not term:
            return qs
        return qs.filter(
            Q(applicant__email__icontains=term)
            | Q(applicant__first_name__icontains=term)
            | Q(applicant__last_name__icontains=term)
        )
