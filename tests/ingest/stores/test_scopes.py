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


def test_a_mistyped_file_is_never_overwritten(tmp_path) -> None:
    """A trailing comma typed by hand: setting or clearing a scope refuses (with the line and
    column) and the file, with every other channel's scope, stays as it was."""
    import os
    import stat

    import pytest

    from ingest.stores.scopes import ScopesFileInvalid

    path = tmp_path / "channel_scopes.json"
    typo = '{\n  "C1": {"types": ["guide"]},\n  "C2": {"subjects": ["math"]},\n}\n'
    path.write_text(typo)
    scopes = ChannelScopes(tmp_path)
    with pytest.raises(ScopesFileInvalid, match="line 4 column 1.*Nothing was changed"):
        scopes.set("C3", Scope(subjects=("science",)))
    with pytest.raises(ScopesFileInvalid):
        scopes.clear("C1")
    assert path.read_text() == typo
    path.write_text(typo.replace("]},\n}", "]}\n}"))  # fixed by hand
    scopes.set("C3", Scope(subjects=("science",)))
    assert set(scopes.all()) == {"C1", "C2", "C3"}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not list(tmp_path.glob(".channel_scopes.*"))  # no temp file left behind
