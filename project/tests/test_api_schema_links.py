"""Every entry of project.api_schema.API_LINKS is in the full schema (no renamed operation
silently drops a link)."""

from __future__ import annotations

from drf_spectacular.generators import SchemaGenerator

from project.api_schema import API_LINKS


def test_every_link_of_the_table_is_in_the_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {
        op["operationId"]: op
        for methods in schema["paths"].values()
        for op in methods.values()
        if isinstance(op, dict) and "operationId" in op
    }
    for source, codes, name, target, parameters in API_LINKS:
        assert source in operations and target in operations, (source, target)
        for code in codes:
            link = operations[source]["responses"][code]["links"][name]
            assert link["operationId"] == target
            assert link.get("parameters", {}) == parameters
