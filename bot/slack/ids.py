"""Identifiers shared by the views that put them in messages and the listeners that match on
them (and by manifest.yml, for the command and the shortcut)."""

COMMAND = "/guidepost"
ASK_ABOUT_MESSAGE = "ask_about_message"  # the message shortcut's callback_id

ACTION_FEEDBACK_UP = "feedback_up"
ACTION_FEEDBACK_DOWN = "feedback_down"
ACTION_SHARE = "share_answer"
ACTION_SAVE_PLANNING = "save_to_planning"
ACTION_EDIT_TAGS = "edit_tags"
ACTION_SOURCES_PAGE = "sources_page"
ACTION_DIGEST_EXPORT = "digest_export"
ACTION_INDEX_ANYWAY = "privacy_index_anyway"  # a file refused for student personal data: index it all the same
ACTION_INDEX_CANCEL = "privacy_cancel"
ACTION_GAP_HANDLED = "gap_handled"  # value: the ids of a group's questions
ACTION_GAP_ADD = "gap_add_resource"  # value: the group's example question
ACTION_ASK_COACH = "ask_coach"  # value: the stored answer's id
ACTION_VERIFY = "verify_answer"  # value: the escalation's id
ANSWER_ACTIONS_BLOCK = "guidepost_answer_actions"
TAGS_MODAL = "guidepost_tags"  # the callback_id of the tags modal
TAGS_FIELDS = ("type", "grade", "subject", "review_by")  # block ids of its inputs
