"""Fetching Slack files: the bot token goes to Slack and nowhere else, redirects included; the
download streams and stops at the size limit."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk import WebClient

from bot.slack.files import FileFetchError, SlackFile, SlackFiles, is_slack_url
from ingest.settings import Settings
from tests.fixtures import MARKDOWN_BODY
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import SlackSender, file_share

TOKEN = "xoxb-test"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://files.slack.com/files-pri/T1-F1/x.pdf", True),
        ("https://files.slack-gov.com/files-pri/T1-F1/x.pdf", True),
        ("http://127.0.0.1:9/files/F1", True),  # the API's own origin (the fake)
        ("http://127.0.0.1:10/files/F1", False),  # the same host on another port is another server
        ("http://files.slack.com/x.pdf", False),  # the token never travels in clear to Slack
        ("https://slack.com.evil.example/x.pdf", False),
        ("https://evil.example/x.pdf", False),
        ("file:///etc/passwd", False),
        ("not a url", False),
    ],
)
def test_the_bot_token_is_only_sent_to_slack(url: str, ok: bool) -> None:
    assert is_slack_url(url, "http://127.0.0.1:9/api/") is ok


def test_a_redirect_to_another_server_is_not_followed_and_never_sees_the_token(
    sender: SlackSender, fake_slack: FakeSlack
) -> None:
    """End to end: a coach shares a file in a DM; Slack's download link redirects to another
    server (here a second fake on another port). The bot refuses to follow it: that server gets
    no request at all, so it cannot get the token."""
    with FakeSlack() as elsewhere:
        elsewhere.add_file("F0ELSEWHERE", "board.md", MARKDOWN_BODY.encode())
        fake_slack.add_file("F0REDIRECT1", "board.md", MARKDOWN_BODY.encode(), mimetype="text/markdown",
                            redirect_to=f"{elsewhere.root}/files/F0ELSEWHERE")  # fmt: skip
        sender.event(file_share("type: guide", [fake_slack.file_object("F0REDIRECT1")], ts="1700009000.000100"))
        result = fake_slack.wait_for("chat.update", timeout=30)[0]
        assert "Slack's download link led outside Slack, so I did not follow it" in result.blocks_json
        (first,) = fake_slack.calls("file")
        assert first.headers["authorization"] == f"Bearer {TOKEN}"  # Slack itself got it
        assert elsewhere.calls() == []  # the other server was never asked


def test_a_redirect_within_slack_is_followed_with_the_token(settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.add_file("F0TARGET001", "board.md", b"# Board\n\nthe real bytes")
    info = fake_slack.add_file("F0MOVED0001", "board.md", b"", redirect_to=f"{fake_slack.root}/files/F0TARGET001")
    files = SlackFiles(settings, WebClient(token=TOKEN, base_url=fake_slack.url))
    assert files.download(SlackFile.from_info(info)) == b"# Board\n\nthe real bytes"
    assert [c.params["_id"] for c in fake_slack.calls("file")] == ["F0MOVED0001", "F0TARGET001"]
    assert all(c.headers["authorization"] == f"Bearer {TOKEN}" for c in fake_slack.calls("file"))


def mocked(settings: Settings, handler) -> SlackFiles:  # type: ignore[no-untyped-def]
    client = WebClient(token=TOKEN, base_url="https://slack.com/api/")
    return SlackFiles(settings, client, transport=httpx.MockTransport(handler))


def slack_file(url: str, size: int = 10) -> SlackFile:
    return SlackFile(id="F1", name="guide.md", size=size, download_url=url, permalink=None, mode="hosted", is_external=False)


def test_redirects_are_checked_hop_by_hop(settings: Settings) -> None:
    seen: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers.get("authorization")))
        if request.url.host == "files.slack.com":
            return httpx.Response(302, headers={"location": "https://files-edge.slack.com/x/guide.md"})
        if request.url.host == "files-edge.slack.com":
            return httpx.Response(302, headers={"location": "https://cdn.evil.example/guide.md"})
        return httpx.Response(200, content=b"stolen")

    with pytest.raises(FileFetchError, match="led outside Slack"):
        mocked(settings, handler).download(slack_file("https://files.slack.com/files-pri/T1-F1/guide.md"))
    assert seen == [("files.slack.com", f"Bearer {TOKEN}"), ("files-edge.slack.com", f"Bearer {TOKEN}")]


def test_a_link_that_does_not_point_to_slack_is_not_fetched(settings: Settings) -> None:
    seen: list[httpx.Request] = []
    files = mocked(settings, lambda r: seen.append(r) or httpx.Response(200, content=b"x"))
    with pytest.raises(FileFetchError, match="does not point to Slack"):
        files.download(slack_file("https://evil.example/guide.md"))
    assert seen == []


def test_the_download_stops_at_the_size_limit(settings: Settings) -> None:
    small = settings.model_copy(update={"max_file_mb": 0.001})  # 1 KB or so
    streamed: list[int] = []

    def body():  # a server that does not say the length, and would send 1 MB
        for _ in range(64):
            streamed.append(1)
            yield b"x" * 16384

    files = mocked(small, lambda r: httpx.Response(200, content=body()))
    with pytest.raises(FileFetchError, match="over the .* limit"):
        files.download(slack_file("https://files.slack.com/files-pri/T1-F1/guide.md"))
    assert len(streamed) < 64  # it stopped reading


def test_an_http_error_is_said_in_words(settings: Settings) -> None:
    files = mocked(settings, lambda r: httpx.Response(403))
    with pytest.raises(FileFetchError, match=r"Slack would not let me download guide.md \(HTTP 403\)"):
        files.download(slack_file("https://files.slack.com/files-pri/T1-F1/guide.md"))
