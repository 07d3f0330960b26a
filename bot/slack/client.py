"""The Slack Web API client every Slack call goes through: Slack's URL (or `SLACK_API_URL`), the
bot token, and retries on rate limits, server errors and dropped connections."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from ingest.settings import SlackSettings

DEFAULT_API_URL = "https://slack.com/api/"


class _ServerErrorRetry(ServerErrorRetryHandler):
    """slack-sdk's handler retries 500 and 503 only; gateways also say 502 and 504."""

    def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
        return response is not None and response.status_code in (500, 502, 503, 504)


def retry_handlers() -> list[RetryHandler]:
    """Retries for every call to Slack: 429 (after `Retry-After`), server errors (with
    backoff), dropped connections."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        _ServerErrorRetry(max_retry_count=2),
    ]


def api_base_url(settings: SlackSettings) -> str:
    """The Web API base URL, ending in `/` as slack-sdk requires (`SLACK_API_URL` may be
    given as `https://slack-gov.com/api` or `http://127.0.0.1:8080/api/`)."""
    url = (settings.slack_api_url or DEFAULT_API_URL).strip()
    return url.rstrip("/") + "/"


def make_web_client(settings: SlackSettings) -> WebClient:
    return WebClient(
        token=settings.slack_bot_token,
        base_url=api_base_url(settings),
        timeout=30,
        retry_handlers=retry_handlers(),
        logger=logging.getLogger("guidepost.slack.web"),
    )
