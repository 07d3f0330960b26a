"""The App Home tab, published when someone opens it: the knowledge base's status and how to ask
(`views.home.home_view` builds it)."""

from __future__ import annotations

import logging

from bot.slack.context import BotContext
from bot.slack.views.home import LATEST, home_view
from ingest.stores import IndexStats

log = logging.getLogger("guidepost.slack")


def publish_home(ctx: BotContext, user: str) -> None:
    """Build and publish `user`'s Home tab; failures are logged (the tab keeps its last view)."""
    stats: IndexStats | None
    coach = ctx.coaches.is_coach(user)
    try:
        stats = ctx.library.stats()
        docs = ctx.library.sources()
        latest = docs[:LATEST]
        overdue = [d for d in docs if d.overdue()] if coach else []
    except Exception:
        log.exception("could not read the knowledge base for the Home tab")
        stats, latest, overdue = None, [], []
    view = home_view(stats=stats, latest=latest, is_coach=coach, overdue=overdue, help_contact=ctx.help_contact)
    try:
        ctx.client.views_publish(user_id=user, view=view)
    except Exception:
        log.exception("could not publish the Home tab of %s", user)
