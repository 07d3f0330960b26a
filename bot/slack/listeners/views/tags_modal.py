"""The "Edit tags" modal submitted: bad values are shown beside their fields (in the ack);
good ones re-index the document."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack.context import BotContext
from bot.slack.flows.curation import save_tags
from bot.slack.payloads import ViewSubmission


def tags_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    save_tags(BotContext.of(context), ack, ViewSubmission.parse(body, view))
