"""The index translates `Filters` itself: into a Chroma `where` clause and an SQL condition."""

from __future__ import annotations

from ingest.domain import Filters
from ingest.stores.catalog import filters_sql
from ingest.stores.vectors import filters_where


def test_filters_translate_to_chroma_and_sql():
    f = Filters(types=("choice_board", "lesson template"), subject="Maths", grade="3-5")
    where = filters_where(f)
    assert {"type": {"$in": ["choice_board", "lesson_template"]}} in where["$and"]
    assert {"subject": {"$in": ["math", ""]}} in where["$and"]
    assert {"grade_min": {"$lte": 5}} in where["$and"] and {"grade_max": {"$gte": 3}} in where["$and"]
    sql, params = filters_sql(f)
    assert sql.count("?") == len(params) and params[:2] == ["choice_board", "lesson_template"]
    assert filters_where(Filters()) is None and filters_sql(None) == ("", [])


def test_one_type_is_a_plain_match():
    assert filters_where(Filters(type="guide")) == {"type": "guide"}
    assert filters_sql(Filters(type="guide")) == (" AND d.type IN (?)", ["guide"])
