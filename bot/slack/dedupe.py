"""Never answer twice: a bounded, thread-safe TTL set, and the Bolt middleware that drops
requests Slack has already delivered.

Bolt itself does not deduplicate: a redelivery (`X-Slack-Retry-Num: 1`) runs the listener
again. Duplicates are acknowledged with an empty 200 (a middleware that returns without
calling `next()` would answer 404, and Slack would retry again).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse


class SeenSet:
    """Keys seen in the last `ttl` seconds, at most `max_size` of them (oldest evicted)."""

    def __init__(
        self,
        *,
        ttl: float = 3600.0,
        max_size: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl <= 0 or max_size <= 0:
            raise ValueError("ttl and max_size must be positive")
        self.ttl = ttl
        self.max_size = max_size
        self._clock = clock
        self._seen: OrderedDict[Hashable, float] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, key: Hashable) -> bool:
        """Record `key`; True when it is new (the caller should go ahead), False when it
        was already seen within the TTL."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            if key in self._seen:
                return False
            self._seen[key] = now
            while len(self._seen) > self.max_size:
                self._seen.popitem(last=False)
            return True

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._seen.pop(key, None)

    def __contains__(self, key: object) -> bool:
        now = self._clock()
        with self._lock:
            self._expire(now)
            return key in self._seen

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._seen)

    def _expire(self, now: float) -> None:
        limit = now - self.ttl
        while self._seen:
            key, seen_at = next(iter(self._seen.items()))
            if seen_at > limit:
                break
            self._seen.popitem(last=False)


def request_key(body: Mapping[str, Any]) -> str | None:
    """What identifies one delivery: the `event_id` of an Events API callback; the
    `trigger_id` of a slash command, shortcut or button click. None when neither exists
    (url_verification, ssl_check, ...)."""
    if body.get("type") == "event_callback" and body.get("event_id"):
        return f"event:{body.get('team_id', '')}:{body['event_id']}"
    trigger = body.get("trigger_id")
    if trigger:
        return f"trigger:{trigger}"
    return None


def retry_num(headers: Mapping[str, Any] | None) -> int:
    """Slack's `X-Slack-Retry-Num` as an int (0 for a first delivery). Bolt gives header
    values as lists of strings in both HTTP and Socket Mode (`['0']` is truthy)."""
    if not headers:
        return 0
    value = headers.get("x-slack-retry-num") or headers.get("X-Slack-Retry-Num")
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    try:
        return int(value) if value is not None else 0
    except (TypeError, ValueError):
        return 0


def dedupe_middleware(seen: SeenSet, logger: logging.Logger | None = None) -> Callable[..., BoltResponse | None]:
    """A global Bolt middleware that acknowledges and drops deliveries already seen."""
    log = logger or logging.getLogger(__name__)

    def drop_duplicates(request: BoltRequest, body: dict[str, Any], next: Callable[[], Any]) -> BoltResponse | None:  # noqa: A002
        key = request_key(body)
        if key is not None and not seen.add(key):
            log.info("duplicate delivery %s (retry %d): acknowledged, not processed", key, retry_num(request.headers))
            return BoltResponse(status=200, body="")
        return next()

    return drop_duplicates
