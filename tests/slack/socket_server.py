"""A local websocket server that plays Slack's side of Socket Mode.

Point the fake Web API's `apps.connections.open` at `server.url`; once the app connects the
server says hello, `send(...)` delivers an envelope, and `wait_ack(envelope_id)` returns
the app's acknowledgement (`{"envelope_id": ..., "payload": ...}`).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed


class FakeSocketModeServer:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: Server | None = None
        self._conns: list[ServerConnection] = []
        self._acks: dict[str, dict[str, Any]] = {}
        self.received: list[dict[str, Any]] = []
        self._cond = threading.Condition()

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeSocketModeServer:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(5)
        return self

    async def _start(self) -> Server:
        return await serve(self._handler, "127.0.0.1", 0)

    def stop(self) -> None:
        async def _stop() -> None:
            if self._server:
                self._server.close()
                await self._server.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(_stop(), self._loop).result(5)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    def __enter__(self) -> FakeSocketModeServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=test"

    # --- the Slack side ------------------------------------------------------------------------

    async def _handler(self, ws: ServerConnection) -> None:
        with self._cond:
            self._conns.append(ws)
            self._cond.notify_all()
        await ws.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0001"}}))
        try:
            async for raw in ws:  # ends when the app disconnects
                try:
                    msg = json.loads(raw)
                except ValueError:
                    continue
                with self._cond:
                    self.received.append(msg)
                    if msg.get("envelope_id"):
                        self._acks[msg["envelope_id"]] = msg
                    self._cond.notify_all()
        except ConnectionClosed:
            pass  # the app closed without a close frame (it is shutting down)
        finally:
            with self._cond:
                if ws in self._conns:
                    self._conns.remove(ws)

    def wait_connected(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._conns:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("the app did not connect to the Socket Mode server")
                self._cond.wait(left)

    def send(
        self,
        payload: dict[str, Any],
        *,
        type: str = "events_api",  # noqa: A002
        retry_attempt: int = 0,
        retry_reason: str = "",
        envelope_id: str | None = None,
    ) -> str:
        """Deliver one envelope to the connected app; returns its envelope_id."""
        envelope_id = envelope_id or uuid.uuid4().hex
        envelope = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": type != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": retry_reason,
        }
        with self._cond:
            ws = self._conns[-1]
        asyncio.run_coroutine_threadsafe(ws.send(json.dumps(envelope)), self._loop).result(5)
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while envelope_id not in self._acks:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"envelope {envelope_id} was not acknowledged")
                self._cond.wait(left)
            return self._acks[envelope_id]

    def acked(self, envelope_id: str) -> bool:
        with self._cond:
            return envelope_id in self._acks
