"""The delivery store: claims shared by every process on a data dir, with a TTL."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

from ingest.stores.deliveries import MIGRATIONS, DeliveryStore, SharedSeen


def _claim_all(data_dir: str, keys: list[str], out: mp.Queue) -> None:
    seen = DeliveryStore(Path(data_dir)).seen("delivery", ttl=3600)
    out.put([k for k in keys if seen.add(k)])


def test_each_key_is_won_by_exactly_one_of_several_processes(tmp_path: Path) -> None:
    keys = [f"event:T1:Ev{i}" for i in range(200)]
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=_claim_all, args=(str(tmp_path), keys, out)) for _ in range(3)]
    for p in procs:
        p.start()
    won = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
    assert sorted(k for w in won for k in w) == sorted(keys)  # every key claimed once, none twice


def test_keys_expire_after_the_ttl_and_kinds_are_apart(tmp_path: Path) -> None:
    now = [1000.0]
    store = DeliveryStore(tmp_path)
    seen = SharedSeen(store.db, "claim", ttl=60, clock=lambda: now[0])
    other = SharedSeen(store.db, "thread", ttl=60, clock=lambda: now[0])
    assert seen.add(("message", "C1", "1.2")) and not seen.add(("message", "C1", "1.2"))
    assert ("message", "C1", "1.2") in seen and ("message", "C1", "1.2") not in other
    assert other.add(("message", "C1", "1.2"))
    now[0] += 61
    assert ("message", "C1", "1.2") not in seen and len(seen) == 0
    assert seen.add(("message", "C1", "1.2"))
    assert seen.purge(now[0] + 61) == 1
    assert store.db.version == len(MIGRATIONS)
