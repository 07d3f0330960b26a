"""Who may curate the knowledge base: the Slack user ids in `GUIDEPOST_COACHES`, and the members
of the Slack user group `GUIDEPOST_COACH_GROUP` (read with `usergroups.users.list`, cached
briefly so a burst of clicks costs one call).

Adding, re-tagging and removing documents and setting a channel's scope are coach actions;
everyone else gets a polite no that says who can help (`views.library.refusal`).
"""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient

from ingest.settings import SlackSettings

log = logging.getLogger("guidepost.slack")

GROUP_TTL = 60.0  # seconds a user group's members are trusted before asking Slack again


class Coaches:
    """`is_coach(user)`; thread-safe (Bolt runs listeners on a pool)."""

    def __init__(self, settings: SlackSettings, client: WebClient, *, ttl: float = GROUP_TTL) -> None:
        self.settings = settings
        self.client = client
        self.ttl = ttl
        self._lock = threading.Lock()
        self._members: frozenset[str] | None = None
        self._fetched = 0.0

    def is_coach(self, user: str | None) -> bool:
        if not user:
            return False
        if user in self.settings.coach_ids:
            return True
        if not self.settings.coach_group:
            return False
        return user in self._group_members()

    def everyone(self) -> set[str]:
        """Every coach known: the ids in the settings and the user group's members."""
        return set(self.settings.coach_ids) | (set(self._group_members()) if self.settings.coach_group else set())

    def _group_members(self) -> frozenset[str]:
        with self._lock:  # one call at a time; the others wait and use its answer
            if self._members is not None and time.monotonic() - self._fetched < self.ttl:
                return self._members
            try:
                resp = self.client.usergroups_users_list(usergroup=self.settings.coach_group)
                self._members = frozenset(resp.get("users") or [])
                self._fetched = time.monotonic()
            except Exception:
                # Keep the last known members if there are any: a Slack hiccup should not
                # lock coaches out (nor let anyone new in).
                log.warning("could not read the coach user group %s", self.settings.coach_group, exc_info=True)
                if self._members is None:
                    return frozenset()
            return self._members
