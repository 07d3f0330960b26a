"""Real `guidepost serve --http` processes on 127.0.0.1, answering with the fake engine against
the fake Slack Web API. Shared by the server tests and the benches."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, timeout: float = 2.0) -> int:
    try:
        with _opener.open(url, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


class ServerProcess:
    """`python -m bot serve --http --port P --workers W` in a child process."""

    def __init__(self, *, data_dir: Path, slack_url: str, secret: str, workers: int = 1, engine_cost: float = 0.0,
                 log: Path | None = None, extra_env: dict[str, str] | None = None) -> None:  # fmt: skip
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/slack/events"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GUIDEPOST_"))}
        env.update(
            PYTHONPATH=str(ROOT),
            GUIDEPOST_DATA_DIR=str(data_dir),
            GUIDEPOST_ENGINE_FACTORY="tests.slack.fake_engine:from_settings",
            FAKE_ENGINE_COST=str(engine_cost),
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=secret,
            SLACK_API_URL=slack_url,
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
            **(extra_env or {}),
        )
        self.log_path = log
        out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
        cmd = [sys.executable, "-m", "bot", "serve", "--http", "--host", "127.0.0.1", "--port", str(self.port),
               "--workers", str(workers)]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log()}")
            try:
                if get(f"{self.base}/readyz", timeout=1) == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"server not ready in {timeout} s: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path and self.log_path.exists() else ""

    def terminate(self, timeout: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
