"""Page-number pagination whose bad page numbers are a 400 naming `page`.

DRF answers `?page=abc`, `?page=0` and a page past the end with a 404 "Invalid page.", which
reads as "this list does not exist". The list exists; the caller's `page` is wrong, so it
is a 400 naming the field like every other bad query parameter. A non-integer or
non-positive `page_size` is refused the same way (DRF silently used the default).
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import InvalidPage
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import QuerySet
from rest_framework import pagination, serializers
from rest_framework.request import Request
from rest_framework.views import APIView

PAGE_HELP = (
    "Page number, from 1 (or `last`). Not a whole number ≥ 1, or past the last page: "
    "400 naming `page`."
)


def _whole_number(raw: str) -> int | None:
    # ASCII digits only: int() would also take "٣", " 3" and "3_0".
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) >= 1 else None


class PageNumberPagination(pagination.PageNumberPagination):
    page_query_description = PAGE_HELP
    page_size_query_description = (
        "Results per page (a whole number ≥ 1; larger than the maximum means the maximum)."
    )

    def get_page_size(self, request: Request) -> int | None:
        raw = request.query_params.get(self.page_size_query_param or "")
        if self.page_size_query_param and raw not in (None, ""):
            size = _whole_number(str(raw))
            if size is None:
                raise serializers.ValidationError(
                    {self.page_size_query_param: ["A page size is a whole number from 1."]}
                )
            return min(size, self.max_page_size) if self.max_page_size else size
        return self.page_size

    def get_page_number(self, request: Request, paginator: DjangoPaginator[Any]) -> Any:
        raw = request.query_params.get(self.page_query_param, "")
        if raw == "":
            return 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        number = _whole_number(raw)
        if number is None:
            raise serializers.ValidationError(
                {self.page_query_param: ["A page number is a whole number from 1, or 'last'."]}
            )
        return number

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        paginator = self.django_paginator_class(queryset, page_size)
        number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            raise serializers.ValidationError(
                {
                    self.page_query_param: [
                        f"Page {number} is past the last page ({paginator.num_pages})."
                    ]
                }
            ) from None
        return list(self.page)
