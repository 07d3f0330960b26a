"""Never answer twice: a bounded, thread-safe TTL set, what identifies one delivery from Slack,
and Slack's retry number. (The middleware that drops redeliveries is in `middleware`.)"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any


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
