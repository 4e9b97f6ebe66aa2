"""Enumerations of the wire protocol (api.md API-OBJ-14, API-OBJ-15)."""

from django.db import models


class TextLabel(models.TextChoices):
    """Label names, in the order of API-OBJ-15."""

    SPAM = "spam"
    FAILS_TASK = "fails_task"
    LANG_MISMATCH = "lang_mismatch"
    PII = "pii"
    NOT_APPROPRIATE = "not_appropriate"
    HATE_SPEECH = "hate_speech"
    SEXUAL_CONTENT = "sexual_content"
    MORAL_JUDGEMENT = "moral_judgement"
    POLITICAL_CONTENT = "political_content"
    QUALITY = "quality"
    TOXICITY = "toxicity"
    HUMOR = "humor"
    HELPFULNESS = "helpfulness"
    CREATIVITY = "creativity"
    VIOLENCE = "violence"


class AuthMethod(models.TextChoices):
    DISCORD = "discord"
    GOOGLE = "google"
    LOCAL = "local"
    SYSTEM = "system"


class MessageRole(models.TextChoices):
    PROMPTER = "prompter"
    ASSISTANT = "assistant"


class TimeFrame(models.TextChoices):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    TOTAL = "total"


class EmojiCode(models.TextChoices):
    THUMBS_UP = "+1"
    THUMBS_DOWN = "-1"
    RED_FLAG = "red_flag"
    HUNDRED = "100"
    ROFL = "rofl"
    CLAP = "clap"
    DIAMOND = "diamond"
    HEART_EYES = "heart_eyes"
    DISAPPOINTED = "disappointed"
    POOP = "poop"
    SKULL = "skull"
    SKIP_REPLY = "_skip_reply"
    SKIP_RANKING = "_skip_ranking"
    SKIP_LABELING = "_skip_labeling"


class EmojiOp(models.TextChoices):
    TOGGLE = "toggle"
    ADD = "add"
    REMOVE = "remove"


class TaskRequestType(models.TextChoices):
    RANDOM = "random"
    SUMMARIZE_STORY = "summarize_story"
    RATE_SUMMARY = "rate_summary"
    INITIAL_PROMPT = "initial_prompt"
    PROMPTER_REPLY = "prompter_reply"
    ASSISTANT_REPLY = "assistant_reply"
    RANK_INITIAL_PROMPTS = "rank_initial_prompts"
    RANK_PROMPTER_REPLIES = "rank_prompter_replies"
    RANK_ASSISTANT_REPLIES = "rank_assistant_replies"
    LABEL_INITIAL_PROMPT = "label_initial_prompt"
    LABEL_ASSISTANT_REPLY = "label_assistant_reply"
    LABEL_PROMPTER_REPLY = "label_prompter_reply"


class CachedStatsName(models.TextChoices):
    HUMAN_MESSAGES_BY_LANG = "human_messages_by_lang"
    HUMAN_MESSAGES_BY_ROLE = "human_messages_by_role"
    MESSAGE_TREES_BY_STATE = "message_trees_by_state"
    MESSAGE_TREES_STATES_BY_LANG = "message_trees_states_by_lang"
    USERS_ACCEPTED_TOS = "users_accepted_tos"
