"""manifest.yml creates the app the code expects."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.slack.ids import ASK_ABOUT_MESSAGE, COMMAND

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def test_manifest_matches_the_code() -> None:
    m = yaml.safe_load(MANIFEST.read_text())
    assert m["display_information"]["name"] == "Guidepost"
    assert len(m["display_information"]["description"]) <= 140
    assert 175 <= len(m["display_information"]["long_description"]) <= 4000
    features = m["features"]
    assert features["bot_user"]["display_name"] == "Guidepost"
    assert features["app_home"] == {"home_tab_enabled": True, "messages_tab_enabled": True,
                                    "messages_tab_read_only_enabled": False}  # fmt: skip
    assert [c["command"] for c in features["slash_commands"]] == [COMMAND]
    assert features["slash_commands"][0]["usage_hint"]
    (shortcut,) = features["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"], shortcut["name"]) == ("message", ASK_ABOUT_MESSAGE, "Ask Guidepost about this")
    scopes = set(m["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "im:history", "im:read", "im:write", "channels:history",
            "groups:history", "mpim:history", "commands", "files:read", "files:write", "users:read",
            "usergroups:read", "assistant:write"} <= scopes  # fmt: skip
    assert features["assistant_view"]["assistant_description"]
    settings = m["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_mention", "message.im", "message.channels", "message.groups", "app_home_opened", "file_shared",
        "assistant_thread_started", "assistant_thread_context_changed",
    }  # fmt: skip
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
