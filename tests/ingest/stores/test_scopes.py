"""Channel scopes in `data_dir/channel_scopes.json` (set from Slack, or edited by hand)."""

from __future__ import annotations

from ingest.domain import Filters, Scope
from ingest.stores import ChannelScopes


def test_scope_store_round_trip_and_reload(tmp_path) -> None:
    a, b = ChannelScopes(tmp_path), ChannelScopes(tmp_path)
    assert a.get("C1") is None and a.filters_for("C1") is None and a.filters_for(None) is None
    a.set("C1", Scope(("guide",), ("math",)))
    assert b.filters_for("C1") == Filters(types=("guide",), subjects=("math",))  # another reader sees it
    b.set("C2", Scope(subjects=("science",)))
    assert set(a.all()) == {"C1", "C2"}
    assert a.clear("C1") and not a.clear("C1")
    assert b.get("C1") is None and b.get("C2") == Scope(subjects=("science",))
    (tmp_path / "channel_scopes.json").write_text("{not json")
    assert a.get("C2") is None  # an unreadable file scopes nothing (and is logged)
