"""Showing a written answer while the chat model writes it.

In a thread with no placeholder (the assistant panel), Slack's own streaming: `chat_stream`
(chat.startStream / appendStream / stopStream), finished with the citation blocks under the
text. Elsewhere — a placeholder to fill, a DM's top level, or when Slack refuses to stream — one
message updated with the text so far at most every `interval` seconds (chat.update), finished
with the whole answer's blocks.

If the final answer is not the text that was streamed (the grounding check trimmed it, or the
extractive answer replaced it), the message is replaced by the final answer: nobody is left
reading a sentence that was taken back."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from bot.slack.context import BotContext
from bot.slack.views.kit import MAX_SECTION_TEXT, truncate

log = logging.getLogger("guidepost.slack")

UPDATE_INTERVAL = 1.0  # seconds between chat.update calls (Slack allows about one a second per message)
STREAM_BUFFER = 24  # characters buffered before chat.appendStream (the first words show at once)
WRITING = " ✍️"


class AnswerStream:
    """`on_token` for the engine; `finish` shows the final answer. Thread-safe: tokens arrive on
    the engine's thread, `finish` is called from the same flow afterwards."""

    def __init__(self, ctx: BotContext, channel: str, thread_ts: str | None, *, placeholder_ts: str | None,
                 user: str | None = None, team: str | None = None, interval: float = UPDATE_INTERVAL) -> None:  # fmt: skip
        self.ctx = ctx
        self.channel = channel
        self.thread_ts = thread_ts
        self.ts = placeholder_ts
        self.user = user
        self.team = team
        self.interval = interval
        self.streamed = ""
        self.mode: str | None = None  # "stream" | "update" once the first token came
        self._stream: Any = None
        self._shown_at = 0.0
        self._lock = threading.Lock()

    # --- while writing ---------------------------------------------------------------------------

    def __call__(self, token: str) -> None:
        with self._lock:
            self.streamed += token
            try:
                if self.mode is None:
                    self._begin(token)
                elif self.mode == "stream":
                    self._append(token)
                elif self.mode == "update":
                    self._update_throttled()
            except Exception:  # the final answer is still posted by `finish`
                log.warning("could not show the answer so far in %s; it will come whole", self.channel, exc_info=True)
                self.mode = "broken"

    def _begin(self, token: str) -> None:
        if self.ts is None and self.thread_ts:
            self._stream = self.ctx.client.chat_stream(channel=self.channel, thread_ts=self.thread_ts, buffer_size=STREAM_BUFFER,
                                                       recipient_user_id=self.user, recipient_team_id=self.team)  # fmt: skip
            self.mode = "stream"
            self._append(token)
            return
        self._start_updating()

    def _append(self, token: str) -> None:
        try:
            self._stream.append(markdown_text=token)
        except Exception as e:  # chat.startStream is called at the first flush: it may be refused there
            log.info("Slack would not stream here (%s); updating a message instead", e)
            if self._stream.ts:
                self.ts = self._stream.ts
            self._stream = None
            self._start_updating()

    def _start_updating(self) -> None:
        self.mode = "update"
        if self.ts is None:
            resp = self.ctx.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts, text=self.streamed + WRITING,
                                                    unfurl_links=False, unfurl_media=False)  # fmt: skip
            self.ts = resp.get("ts")
            self._shown_at = time.monotonic()
        else:
            self._update_throttled(force=True)

    def _update_throttled(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.ts and (force or now - self._shown_at >= self.interval):
            text = truncate(self.streamed, MAX_SECTION_TEXT - len(WRITING)) + WRITING
            self.ctx.client.chat_update(channel=self.channel, ts=self.ts, text=text,
                                        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}])  # fmt: skip
            self._shown_at = now

    # --- done ------------------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        return self.mode is not None

    def finish(self, text: str, blocks: list[dict[str, Any]], citation_blocks: list[dict[str, Any]] | None,
               final_text: str | None) -> str | None:  # fmt: skip
        """Show the final answer (`text`/`blocks`); `citation_blocks` go under a streamed text
        that stands as written (`final_text` equals what was streamed). Returns the ts of the
        message showing it, or None when nothing was shown (the caller posts it)."""
        with self._lock:
            if self.mode == "stream":
                same = final_text is not None and final_text.strip() == self.streamed.strip()
                try:
                    resp = self._stream.stop(blocks=citation_blocks if same else None)
                    self.ts = resp.get("ts") or self._stream.ts
                except Exception:
                    log.warning("could not stop the stream in %s", self.channel, exc_info=True)
                    self.ts = self._stream.ts
                    same = False
                if same:
                    return self.ts
            if self.ts is None:
                return None
            try:
                self.ctx.client.chat_update(channel=self.channel, ts=self.ts, text=text, blocks=blocks)
                return self.ts
            except Exception:
                log.warning("could not replace the streamed answer in %s", self.channel, exc_info=True)
                return None
