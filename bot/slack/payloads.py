"""Every Slack surface Guidepost listens to, as one typed payload, parsed before any logic runs.

Slack's bodies are nested dicts whose keys may be missing or null; this module is the only place
that reads them (`_at` walks a path and gives None for anything absent), so the flows only see
typed fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from slack_bolt import BoltContext


def _at(data: Any, *path: str | int) -> Any:
    """`data[path[0]][path[1]]...`, or None as soon as a step is missing or of the wrong kind."""
    for step in path:
        if isinstance(step, int):
            data = data[step] if isinstance(data, list) and -len(data) <= step < len(data) else None
        else:
            data = data.get(step) if isinstance(data, Mapping) else None
        if data is None:
            return None
    return data


def _str(data: Any, *path: str | int) -> str | None:
    value = _at(data, *path)
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is in this workspace (from Bolt's cached `auth.test`)."""

    user_id: str | None
    bot_id: str | None

    @classmethod
    def of(cls, context: BoltContext) -> BotIdentity:
        return cls(user_id=context.bot_user_id, bot_id=context.bot_id)


@dataclass(frozen=True)
class Recipient:
    """Where a private reply goes: the request's `response_url`, or `chat.postEphemeral` to
    `user` in `channel` when there is none (or it fails)."""

    response_url: str | None
    channel: str | None
    user: str | None


@dataclass(frozen=True)
class SharedFile:
    id: str
    name: str  # the file's name, or its id when Slack gave none


@dataclass(frozen=True)
class MessageEvent:
    """An `app_mention` or `message` event."""

    channel: str
    ts: str
    user: str | None
    text: str
    thread_ts: str | None
    channel_type: str | None  # "im" for a direct message
    subtype: str | None
    bot_id: str | None
    parent_user_id: str | None  # who started the thread
    files: tuple[SharedFile, ...]

    @classmethod
    def parse(cls, event: Mapping[str, Any]) -> MessageEvent:
        files = tuple(
            SharedFile(f["id"], _str(f, "name") or f["id"])
            for f in _at(event, "files") or []
            if _str(f, "id")
        )
        return cls(
            channel=_str(event, "channel") or "",
            ts=_str(event, "ts") or "",
            user=_str(event, "user"),
            text=_str(event, "text") or "",
            thread_ts=_str(event, "thread_ts"),
            channel_type=_str(event, "channel_type"),
            subtype=_str(event, "subtype"),
            bot_id=_str(event, "bot_id"),
            parent_user_id=_str(event, "parent_user_id"),
            files=files,
        )

    @property
    def in_thread(self) -> bool:
        """A reply inside a thread (not the message that starts one)."""
        return bool(self.thread_ts and self.thread_ts != self.ts)

    @property
    def is_dm(self) -> bool:
        return self.channel_type == "im"


@dataclass(frozen=True)
class HomeOpened:
    user: str | None
    tab: str  # "home" or "messages"

    @classmethod
    def parse(cls, event: Mapping[str, Any]) -> HomeOpened:
        return cls(user=_str(event, "user"), tab=_str(event, "tab") or "home")


@dataclass(frozen=True)
class SlashCommand:
    command: str  # "/guidepost" (or whatever the app calls it)
    text: str
    user: str | None
    channel: str | None
    channel_name: str | None
    response_url: str

    @classmethod
    def parse(cls, command: Mapping[str, Any]) -> SlashCommand:
        return cls(
            command=_str(command, "command") or "/guidepost",
            text=_str(command, "text") or "",
            user=_str(command, "user_id"),
            channel=_str(command, "channel_id"),
            channel_name=_str(command, "channel_name"),
            response_url=_str(command, "response_url") or "",
        )

    @property
    def recipient(self) -> Recipient:
        return Recipient(self.response_url or None, self.channel, self.user)


@dataclass(frozen=True)
class BlockAction:
    """A button pressed (`block_actions`): the first action of the payload."""

    action_id: str
    value: str
    user: str | None
    channel: str | None  # where the message with the button is
    channel_name: str | None
    message_ts: str | None
    response_url: str | None
    trigger_id: str | None  # to open a modal within 3 seconds

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> BlockAction:
        return cls(
            action_id=_str(body, "actions", 0, "action_id") or "",
            value=_str(body, "actions", 0, "value") or "",
            user=_str(body, "user", "id"),
            channel=_str(body, "channel", "id") or _str(body, "container", "channel_id"),
            channel_name=_str(body, "channel", "name"),
            message_ts=_str(body, "container", "message_ts") or _str(body, "message", "ts"),
            response_url=_str(body, "response_url"),
            trigger_id=_str(body, "trigger_id"),
        )

    @property
    def recipient(self) -> Recipient:
        return Recipient(self.response_url, self.channel, self.user)


@dataclass(frozen=True)
class ViewSubmission:
    callback_id: str
    user: str | None
    private_metadata: str
    values: Mapping[str, Any]  # the inputs, by block id

    @classmethod
    def parse(cls, body: Mapping[str, Any], view: Mapping[str, Any]) -> ViewSubmission:
        return cls(
            callback_id=_str(view, "callback_id") or "",
            user=_str(body, "user", "id"),
            private_metadata=_str(view, "private_metadata") or "",
            values=_at(view, "state", "values") or {},
        )

    def value(self, block: str) -> str | None:
        """What the input in `block` holds: a select's chosen value or a text input's text."""
        element = _at(self.values, block, "value") or {}
        if _str(element, "type") == "static_select" or "selected_option" in element:
            return _str(element, "selected_option", "value")
        return (_str(element, "value") or "").strip() or None


@dataclass(frozen=True)
class MessageShortcut:
    """The message shortcut, with the message it was used on."""

    user: str | None
    channel: str | None
    response_url: str | None
    message_text: str
    thread_ts: str  # the message's thread (or the message itself, starting one)

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> MessageShortcut:
        return cls(
            user=_str(body, "user", "id"),
            channel=_str(body, "channel", "id"),
            response_url=_str(body, "response_url"),
            message_text=_str(body, "message", "text") or "",
            thread_ts=_str(body, "message", "thread_ts") or _str(body, "message", "ts") or "",
        )
