"""Design teams pull cited guidance into planning.

- "📌 Save to planning notes" (under every answer) copies the stored answer, sources and all,
  into the channel's current digest (`ctx.digests`, in the data dir).
- `/guidepost digest` shows the digest; `digest export` uploads it to the channel as a Markdown
  file in which every answer keeps its numbered citations (files.upload v2); `digest clear`
  starts a new one (the old one is archived, not deleted).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

from slack_bolt import Ack
from slack_sdk.errors import SlackApiError

from bot.render import digest_markdown
from bot.slack.context import BotContext
from bot.slack.messaging import reply_privately
from bot.slack.payloads import BlockAction, Recipient, SlashCommand
from bot.slack.views.answers import ERROR_TEXT
from bot.slack.views.digest import digest_blocks
from bot.slack.views.kit import context, escape_mrkdwn, notice_blocks

log = logging.getLogger("guidepost.slack")

# what Slack calls a conversation that has no name of its own
_UNNAMED = {"", "directmessage", "privategroup", "mpdm"}

_UPLOAD_ERRORS = {
    "not_in_channel": "I'm not in this channel: invite me (`/invite @Guidepost`) and export again.",
    "channel_not_found": "I can't post in this conversation: export from a channel I'm in, or from our DM.",
    "missing_scope": "Guidepost's Slack app lacks the files:write permission; whoever runs it needs to reinstall it.",
}


# --- saving ----------------------------------------------------------------------------------


def save_to_planning(ctx: BotContext, action: BlockAction) -> None:
    to = action.recipient
    stored = ctx.feedback.get_answer(action.value) if action.value else None
    if stored is None:
        reply_privately(ctx, to, "Sorry, that answer can no longer be saved. Please ask again.")
        return
    channel = action.channel or stored.channel
    if not channel:
        reply_privately(ctx, to, "Sorry, I can't tell which channel's notes to save this to.")
        return
    try:
        added, count = ctx.digests.add(channel, stored.id, stored.answer, saved_by=action.user)
    except Exception:
        log.exception("could not save answer %s to the digest of %s", action.value, channel)
        reply_privately(ctx, to, "Sorry, I couldn't save that just now. Please try again later.")
        return
    n = f"{count} saved answer{'s' if count != 1 else ''}"
    if added:
        text = f":pushpin: Saved to this channel's planning notes ({n}). `/guidepost digest` shows them."
    else:
        text = f":pushpin: That answer is already in this channel's planning notes ({n})."
    reply_privately(ctx, to, text)


# --- /guidepost digest, the Export button ----------------------------------------------------


def digest_command(ctx: BotContext, ack: Ack, cmd: SlashCommand, rest: str) -> None:
    channel = cmd.channel or ""
    word = rest.strip().lower()
    if word in ("", "show"):
        digest = ctx.digests.current(channel)
        n = len(digest.entries)
        ack(response_type="ephemeral", text=f"Planning notes: {n} saved answer{'s' if n != 1 else ''}",
            blocks=digest_blocks(digest, command=cmd.command))  # fmt: skip
    elif word == "export":
        ack(response_type="ephemeral", text="Exporting the planning notes…",
            blocks=[context(":hourglass_flowing_sand: Exporting the planning notes…")])  # fmt: skip
        ctx.submit(export_digest, ctx, channel, cmd.channel_name, cmd.recipient, True)
    elif word in ("clear", "new", "reset"):
        archived = ctx.digests.clear(channel)
        log.info("%s started new planning notes in %s (%d archived)", cmd.user, channel, archived)
        if archived:
            text = (f"Started new planning notes for this channel. The previous {archived} saved "
                    f"answer{'s are' if archived != 1 else ' is'} archived.")  # fmt: skip
        else:
            text = "This channel's planning notes were already empty."
        ack(response_type="ephemeral", text=text, blocks=notice_blocks(text))
    else:
        text = f"`{escape_mrkdwn(cmd.command)} digest` shows this channel's planning notes; add `export` or `clear`."
        ack(response_type="ephemeral", text=text, blocks=notice_blocks(text))


def export_from_button(ctx: BotContext, action: BlockAction) -> None:
    """The "Export as Markdown" button under a digest (its value is the channel)."""
    ctx.submit(export_digest, ctx, action.channel or action.value, action.channel_name, action.recipient, False)


def export_digest(ctx: BotContext, channel: str, channel_name: str | None, to: Recipient, replace: bool) -> None:
    """Upload the channel's digest as Markdown; tell `to` privately how it went (`replace`:
    instead of the "Exporting…" note)."""
    user = to.user

    def tell(text: str) -> None:
        reply_privately(ctx, to, text, replace=replace)

    digest = ctx.digests.current(channel)
    if not digest.entries:
        tell("There is nothing to export yet: save answers with *📌 Save to planning notes* first.")
        return
    name = (channel_name or "").strip().lstrip("#")
    title = f"Planning notes — #{name}" if name.lower() not in _UNNAMED else "Planning notes"
    now = datetime.now(UTC)
    markdown = digest_markdown(digest, title=title, names=display_names(ctx, {e.saved_by for e in digest.entries}),
                               exported_at=now)  # fmt: skip
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") if name.lower() not in _UNNAMED else ""
    filename = f"planning-notes-{slug + '-' if slug else ''}{now:%Y-%m-%d}.md"
    n = len(digest.entries)
    try:
        ctx.client.files_upload_v2(
            channel=channel,
            content=markdown,
            filename=filename,
            title=title,
            initial_comment=(f"{'<@' + user + '> exported ' if user else ''}this channel's planning notes: "
                             f"{n} saved answer{'s' if n != 1 else ''}, each with its numbered sources."),  # fmt: skip
        )
    except SlackApiError as e:
        error = str(e.response.get("error") or "")
        log.warning("could not upload the digest of %s: %s", channel, error)
        tell(_UPLOAD_ERRORS.get(error, f"Sorry, Slack refused the upload ({escape_mrkdwn(error)})."))
        return
    except Exception:
        log.exception("could not upload the digest of %s", channel)
        tell(ERROR_TEXT + " It has been logged; please try again in a minute.")
        return
    tell(f":page_facing_up: Uploaded `{filename}` to this conversation ({n} saved answers).")


def display_names(ctx: BotContext, users: set[str | None]) -> dict[str, str]:
    """User ids to the names people see; an id stays as it is when Slack won't say."""
    names: dict[str, str] = {}
    for uid in sorted(u for u in users if u):
        try:
            user = ctx.client.users_info(user=uid)["user"]
            profile = user.get("profile") or {}
            names[uid] = profile.get("display_name") or user.get("real_name") or user.get("name") or uid
        except Exception:
            log.info("no name for %s", uid, exc_info=True)
    return names


# --- a cited source replaced or removed ------------------------------------------------------


def tell_source_changes(ctx: BotContext) -> int:
    """Tell each channel, once, that sources its planning notes cite were replaced or removed
    (the entries are marked by the library; the claim in SQLite keeps several processes from
    telling twice). Returns how many channels were told."""
    import secrets

    told = 0
    for channel, notes in ctx.digests.claim_untold(secrets.token_hex(8)).items():
        lines = [f"• *{escape_mrkdwn(n.title)}*: {n.text()}" for n in notes[:10]]
        text = (":pushpin: Sources cited in this channel's planning notes changed since the answers were saved:\n"
                + "\n".join(lines) + "\n`/guidepost digest` shows which notes; exports mark them too.")  # fmt: skip
        try:
            ctx.client.chat_postMessage(channel=channel, text=text, blocks=notice_blocks(text), unfurl_links=False)
            told += 1
        except Exception:
            log.exception("could not tell %s that cited sources changed", channel)
    return told
