"""`/guidepost scope [type=… subject=… | clear]`: show or set what a channel searches. Anyone may
look; only coaches may change it. Questions asked in a scoped channel search only that part of
the knowledge base (`BotContext.scope_of`), and their answers say so."""

from __future__ import annotations

import logging

from slack_bolt import Ack

from bot.slack.context import BotContext
from bot.slack.messaging import reply_privately
from bot.slack.payloads import SlashCommand
from bot.slack.tags import parse_scope
from bot.slack.views.kit import escape_mrkdwn
from bot.slack.views.library import refusal, scope_text
from ingest.errors import InvalidTags
from ingest.stores.scopes import ScopesFileInvalid

log = logging.getLogger("guidepost.slack")

SCOPE = "change what a channel searches"


def scope_command(ctx: BotContext, ack: Ack, cmd: SlashCommand, rest: str) -> None:
    channel = cmd.channel or ""
    if not rest.strip():
        ack(response_type="ephemeral", text=scope_text(ctx.scopes.get(channel), cmd.command))
        return
    ack()
    to = cmd.recipient
    if not ctx.coaches.is_coach(cmd.user):
        reply_privately(ctx, to, refusal(SCOPE, ctx.help_contact), replace=True)
        return
    if rest.strip().lower() in ("clear", "none", "off", "all"):
        try:
            ctx.scopes.clear(channel)
        except ScopesFileInvalid as e:
            reply_privately(ctx, to, f":warning: {escape_mrkdwn(str(e))}.", replace=True)
            return
        log.info("%s cleared the scope of %s", cmd.user, channel)
        reply_privately(ctx, to, "Done: " + scope_text(None, cmd.command), replace=True)
        return
    try:
        scope = parse_scope(rest)
    except InvalidTags as e:
        reply_privately(ctx, to, f":warning: {escape_mrkdwn(str(e))}.", replace=True)
        return
    try:
        ctx.scopes.set(channel, scope)
    except ScopesFileInvalid as e:  # never rewrite a file someone mistyped: every other channel would lose its scope
        reply_privately(ctx, to, f":warning: {escape_mrkdwn(str(e))}.", replace=True)
        return
    log.info("%s scoped %s to %s", cmd.user, channel, scope.to_dict())
    reply_privately(ctx, to, "Done: " + scope_text(scope, cmd.command), replace=True)
