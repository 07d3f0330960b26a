"""Knowledge gaps, for coaches: every abstention and every 👎 is recorded (`answering`,
`feedback`) in `ctx.gaps`; here coaches see them and a weekly summary reaches them.

- `/guidepost gaps` (coaches): the gaps grouped by meaning, newest first, each with
  "Add a resource" (how to add one, naming the gap) and "Mark handled" (the group's questions
  are marked handled, so the list shows what is still open);
- the weekly DM: at the day and hour in the settings, each coach gets a summary of the gaps
  recorded since the last summary. The period (ISO week) is claimed in SQLite first, so
  several bot processes, or one restarted, send it once.
"""

from __future__ import annotations

import logging
import socket
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from slack_bolt import Ack

from bot.slack.context import BotContext
from bot.slack.messaging import reply_privately
from bot.slack.payloads import BlockAction, SlashCommand
from bot.slack.views.gaps import add_resource_text, gaps_blocks, gaps_text, weekly_summary_blocks
from bot.slack.views.kit import context
from bot.slack.views.library import refusal

log = logging.getLogger("guidepost.slack")

SEE_GAPS = "see the knowledge gaps"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CHECK_EVERY_S = 60.0


def open_groups(ctx: BotContext):
    groups = ctx.gaps.groups(ctx.library.encoder.encode)
    return [g for g in groups if not g.handled], sum(1 for g in groups if g.handled)


def gaps_command(ctx: BotContext, ack: Ack, cmd: SlashCommand, rest: str) -> None:
    ack(response_type="ephemeral", text="Gathering the knowledge gaps…",
        blocks=[context(":hourglass_flowing_sand: Gathering the knowledge gaps…")])  # fmt: skip
    to = cmd.recipient
    if not ctx.coaches.is_coach(cmd.user):
        reply_privately(ctx, to, refusal(SEE_GAPS, ctx.help_contact), replace=True)
        return

    def finish() -> None:
        groups, handled = open_groups(ctx)
        reply_privately(ctx, to, gaps_text(groups), gaps_blocks(groups, handled_hidden=handled, command=cmd.command), replace=True)

    ctx.submit(finish)


def mark_handled(ctx: BotContext, action: BlockAction) -> None:
    if not ctx.coaches.is_coach(action.user):
        reply_privately(ctx, action.recipient, refusal(SEE_GAPS, ctx.help_contact))
        return
    ids = [i for i in action.value.split(",") if i]
    n = ctx.gaps.mark_handled(ids, by=action.user)
    log.info("%s marked %d knowledge gaps handled", action.user, n)

    def refresh() -> None:
        groups, handled = open_groups(ctx)
        reply_privately(ctx, action.recipient, gaps_text(groups), gaps_blocks(groups, handled_hidden=handled), replace=True)

    ctx.submit(refresh)


def add_resource(ctx: BotContext, action: BlockAction) -> None:
    if not ctx.coaches.is_coach(action.user):
        reply_privately(ctx, action.recipient, refusal(SEE_GAPS, ctx.help_contact))
        return
    reply_privately(ctx, action.recipient, add_resource_text(action.value))


# --- the weekly summary ----------------------------------------------------------------------


def due_period(now: datetime, day: str, hour: int, tz: str = "UTC") -> str | None:
    """The period ('2026-W48') whose summary is due at `now`, or None before this week's
    moment (day and hour in `tz`) or when the summary is off."""
    day = day.strip().lower()[:3]
    if day not in DAYS:
        return None
    local = now.astimezone(ZoneInfo(tz))
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    moment = monday + timedelta(days=DAYS.index(day), hours=hour)
    if local < moment:
        return None
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def send_weekly_summary(ctx: BotContext, now: datetime | None = None) -> bool:
    """Send the summary if it is due and this process wins the period; True when sent."""
    s = ctx.settings
    period = due_period(now or datetime.now(timezone.utc), s.gaps_summary_day, s.gaps_summary_hour, s.gaps_summary_tz)
    if period is None:
        return False
    since = ctx.gaps.last_claimed_at(period)
    if not ctx.gaps.claim_period(period, by=f"{socket.gethostname()}:{threading.get_native_id()}"):
        return False
    groups = [g for g in ctx.gaps.groups(ctx.library.encoder.encode, since=since) if not g.handled]
    if not groups:
        log.info("weekly gaps summary %s: no new gaps", period)
        return True
    blocks = weekly_summary_blocks(groups, since=since)
    text = gaps_text(groups)
    coaches = sorted(ctx.coaches.everyone())
    for coach in coaches:
        try:
            ctx.client.chat_postMessage(channel=coach, text=text, blocks=blocks, unfurl_links=False)
        except Exception:
            log.exception("could not send the weekly gaps summary to %s", coach)
    log.info("weekly gaps summary %s sent to %d coaches", period, len(coaches))
    return True


def start_weekly_summaries(ctx: BotContext, *, every: float = CHECK_EVERY_S) -> threading.Event:
    """Check every `every` seconds whether the weekly summary is due (and whether channels need
    telling that sources their planning notes cite changed); set the returned event to stop."""
    stop = threading.Event()

    def loop() -> None:
        from bot.slack.flows.planning import tell_source_changes

        while not stop.wait(every):
            try:
                send_weekly_summary(ctx)
            except Exception:
                log.exception("the weekly gaps summary failed")
            try:  # sources replaced or removed from the command line: the channels hear of it here
                tell_source_changes(ctx)
            except Exception:
                log.exception("telling channels of changed sources failed")

    threading.Thread(target=loop, name="guidepost-gaps-summary", daemon=True).start()
    return stop
