"""Buttons (`block_actions`). Each callback acks at once, then acts."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.ids import (
    ACTION_ASK_COACH,
    ACTION_DIGEST_EXPORT,
    ACTION_EDIT_TAGS,
    ACTION_FEEDBACK_DOWN,
    ACTION_FEEDBACK_UP,
    ACTION_GAP_ADD,
    ACTION_GAP_HANDLED,
    ACTION_INDEX_ANYWAY,
    ACTION_INDEX_CANCEL,
    ACTION_SAVE_PLANNING,
    ACTION_SHARE,
    ACTION_SOURCES_PAGE,
    ACTION_VERIFY,
)
from bot.slack.listeners.actions.edit_tags import edit_tags_pressed
from bot.slack.listeners.actions.escalation import ask_coach_pressed, verify_pressed
from bot.slack.listeners.actions.export_digest import export_pressed
from bot.slack.listeners.actions.gaps import add_resource_pressed, handled_pressed
from bot.slack.listeners.actions.personal_data import cancel_pressed, index_anyway_pressed
from bot.slack.listeners.actions.save_to_planning import save_pressed
from bot.slack.listeners.actions.share_answer import share_pressed
from bot.slack.listeners.actions.sources_page import page_pressed
from bot.slack.listeners.actions.votes import helpful_pressed, not_helpful_pressed


def register(app: App) -> None:
    app.action(ACTION_FEEDBACK_UP)(helpful_pressed)
    app.action(ACTION_FEEDBACK_DOWN)(not_helpful_pressed)
    app.action(ACTION_SHARE)(share_pressed)
    app.action(ACTION_SAVE_PLANNING)(save_pressed)
    app.action(ACTION_DIGEST_EXPORT)(export_pressed)
    app.action(ACTION_EDIT_TAGS)(edit_tags_pressed)
    app.action(ACTION_SOURCES_PAGE)(page_pressed)
    app.action(ACTION_INDEX_ANYWAY)(index_anyway_pressed)
    app.action(ACTION_INDEX_CANCEL)(cancel_pressed)
    app.action(ACTION_GAP_HANDLED)(handled_pressed)
    app.action(ACTION_GAP_ADD)(add_resource_pressed)
    app.action(ACTION_ASK_COACH)(ask_coach_pressed)
    app.action(ACTION_VERIFY)(verify_pressed)
