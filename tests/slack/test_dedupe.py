from __future__ import annotations

import threading

import pytest

from bot.slack.dedupe import SeenSet, request_key, retry_num


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_seen_set_remembers_within_ttl_then_forgets() -> None:
    clock = Clock()
    seen = SeenSet(ttl=10, clock=clock)
    assert seen.add("a") is True
    assert seen.add("a") is False
    clock.now = 9.9
    assert "a" in seen
    clock.now = 10.1
    assert "a" not in seen
    assert seen.add("a") is True


def test_seen_set_is_bounded() -> None:
    seen = SeenSet(max_size=3)
    for k in "abcd":
        seen.add(k)
    assert len(seen) == 3 and "a" not in seen and "d" in seen


def test_seen_set_lets_exactly_one_thread_through() -> None:
    seen = SeenSet()
    wins: list[int] = []
    barrier = threading.Barrier(16)

    def race(i: int) -> None:
        barrier.wait()
        if seen.add("event-1"):
            wins.append(i)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"type": "event_callback", "team_id": "T1", "event_id": "Ev1"}, "event:T1:Ev1"),
        ({"command": "/guidepost", "trigger_id": "t.1"}, "trigger:t.1"),
        ({"type": "block_actions", "trigger_id": "t.2"}, "trigger:t.2"),
        ({"type": "url_verification", "challenge": "x"}, None),
    ],
)
def test_request_key(body: dict, key: str | None) -> None:
    assert request_key(body) == key


@pytest.mark.parametrize(
    ("headers", "n"),
    [(None, 0), ({}, 0), ({"x-slack-retry-num": ["0"]}, 0), ({"x-slack-retry-num": ["2"]}, 2),
     ({"x-slack-retry-num": "1"}, 1), ({"x-slack-retry-num": ["nope"]}, 0)],
)  # fmt: skip
def test_retry_num_reads_list_or_string(headers: dict | None, n: int) -> None:
    assert retry_num(headers) == n
