"""The assistant panel: Bolt's `Assistant` middleware, with its three callbacks. A message in
a DM thread with files attached is left to the `message` listener (a coach adding documents)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Assistant, BoltContext
from slack_bolt.request import BoltRequest

from bot.slack.context import BotContext
from bot.slack.dedupe import retry_num
from bot.slack.flows import assistant as panel
from bot.slack.payloads import BotIdentity, MessageEvent


def _without_files(body: dict[str, Any]) -> bool:
    return not (body.get("event") or {}).get("files")


def register(app: App) -> None:
    assistant = Assistant(thread_context_store=panel.PanelContexts())

    @assistant.thread_started
    def thread_started(say: Any, set_suggested_prompts: Any, save_thread_context: Any, payload: dict[str, Any],
                       context: BoltContext) -> None:  # fmt: skip
        viewed = (payload.get("assistant_thread") or {}).get("context") or {}
        if viewed:
            save_thread_context(viewed)
        panel.thread_started(BotContext.of(context), say, set_suggested_prompts)

    @assistant.user_message(matchers=[_without_files])
    def user_message(payload: dict[str, Any], set_status: Any, set_title: Any, get_thread_context: Any,
                     context: BoltContext, request: BoltRequest) -> None:  # fmt: skip
        viewed = get_thread_context()
        panel.user_message(BotContext.of(context), MessageEvent.parse(payload), BotIdentity.of(context),
                           set_status=set_status, set_title=set_title,
                           viewed_channel=(viewed or {}).get("channel_id"), team=context.team_id,
                           retry=retry_num(request.headers))  # fmt: skip

    # thread_context_changed: Bolt's default saves the viewed channel in our store.
    app.assistant(assistant)
