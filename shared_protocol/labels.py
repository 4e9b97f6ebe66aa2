"""Text labels as the clients see them: LabelDescription data and the fixed label lists.

API-OBJ-11 / API-OBJ-15: every TextLabel has a widget, a non-empty display text and an
optional help text. The texts are free human-readable strings written for Canopy (clients
localise by `name`); `lang_mismatch` and `hate_speech` carry a help text.

Also here: the widget, label-task mode and disposition enums (API-OBJ-14), the label lists
of API-LBL-2 (default valid labels) and API-LBL-3 (report labels), and the mode →
disposition rule of label tasks (TREE-33, TREE-35).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.db import models

from shared_protocol.enums import TextLabel

if TYPE_CHECKING:
    from collections.abc import Iterable


class LabelWidget(models.TextChoices):
    YES_NO = "yes_no"
    FLAG = "flag"
    LIKERT = "likert"


class LabelTaskMode(models.TextChoices):
    SIMPLE = "simple"
    FULL = "full"


class LabelTaskDisposition(models.TextChoices):
    QUALITY = "quality"
    SPAM = "spam"


class LabelDescriptionDict(TypedDict):
    name: str
    widget: str
    display_text: str
    help_text: str | None


@dataclass(frozen=True)
class LabelDescription:
    """One LabelDescription object (API-OBJ-11)."""

    name: str
    widget: str
    display_text: str
    help_text: str | None = None

    def as_dict(self) -> LabelDescriptionDict:
        return {
            "name": self.name,
            "widget": self.widget,
            "display_text": self.display_text,
            "help_text": self.help_text,
        }


def _describe(
    label: TextLabel, widget: LabelWidget, display_text: str, help_text: str | None = None
) -> LabelDescription:
    return LabelDescription(label.value, widget.value, display_text, help_text)


L, W = TextLabel, LabelWidget

# Every label, in the order of API-OBJ-15 (which is also TextLabel's order).
LABEL_DESCRIPTIONS: dict[str, LabelDescription] = {
    d.name: d
    for d in (
        _describe(L.SPAM, W.YES_NO, "Deliberately low-effort, off-topic or nonsense"),
        _describe(L.FAILS_TASK, W.YES_NO, "Does not do what the conversation asked for"),
        _describe(
            L.LANG_MISMATCH,
            W.FLAG,
            "Wrong language",
            "The message is not written in the language expected for this conversation.",
        ),
        _describe(L.PII, W.FLAG, "Reveals personal data"),
        _describe(L.NOT_APPROPRIATE, W.FLAG, "Unsuitable content"),
        _describe(
            L.HATE_SPEECH,
            W.FLAG,
            "Attacks or threatens people for a protected characteristic",
            "Protected characteristics include ethnicity, nationality, religion, gender, "
            "sexual orientation, disability and similar traits that people are targeted for.",
        ),
        _describe(L.SEXUAL_CONTENT, W.FLAG, "Sexual material"),
        _describe(L.MORAL_JUDGEMENT, W.FLAG, "Passes moral judgement"),
        _describe(L.POLITICAL_CONTENT, W.FLAG, "States political opinions"),
        _describe(L.QUALITY, W.LIKERT, "Overall quality"),
        _describe(L.TOXICITY, W.LIKERT, "Rude, insulting or offensive"),
        _describe(L.HUMOR, W.LIKERT, "Funny or sarcastic"),
        _describe(L.HELPFULNESS, W.LIKERT, "Helpful"),
        _describe(L.CREATIVITY, W.LIKERT, "Creative"),
        _describe(L.VIOLENCE, W.LIKERT, "Violence, abuse or self-harm"),
    )
}

# API-LBL-2: every label except `fails_task`, in the order of API-OBJ-15.
DEFAULT_VALID_LABELS: tuple[str, ...] = tuple(
    label.value for label in TextLabel if label != TextLabel.FAILS_TASK
)

# API-LBL-3: the labels offered when reporting a message, in this order.
REPORT_LABELS: tuple[str, ...] = (
    L.SPAM.value,
    L.NOT_APPROPRIATE.value,
    L.PII.value,
    L.HATE_SPEECH.value,
    L.SEXUAL_CONTENT.value,
    L.MORAL_JUDGEMENT.value,
    L.POLITICAL_CONTENT.value,
    L.TOXICITY.value,
    L.VIOLENCE.value,
    L.QUALITY.value,
)

# TREE-33, TREE-35: a full review asks about quality, a simple one about spam.
_DISPOSITION_BY_MODE: dict[str, str] = {
    LabelTaskMode.FULL.value: LabelTaskDisposition.QUALITY.value,
    LabelTaskMode.SIMPLE.value: LabelTaskDisposition.SPAM.value,
}


def describe(names: Iterable[str]) -> list[LabelDescriptionDict]:
    """The LabelDescription dicts of `names`, in the given order.

    Raises ValueError for a name that is not a TextLabel (label lists are validated
    configuration, so this is a bug, not a client error).
    """
    descriptions: list[LabelDescriptionDict] = []
    for name in names:
        try:
            descriptions.append(LABEL_DESCRIPTIONS[str(name)].as_dict())
        except KeyError:
            raise ValueError(f"{name!r} is not a text label") from None
    return descriptions


def default_valid_labels() -> list[LabelDescriptionDict]:
    """The descriptions of `GET /text_labels/valid_labels` without a message (API-LBL-2)."""
    return describe(DEFAULT_VALID_LABELS)


def report_labels() -> list[LabelDescriptionDict]:
    """The descriptions answered by `GET /text_labels/report_labels` (API-LBL-3)."""
    return describe(REPORT_LABELS)


def disposition_for_mode(mode: str | None) -> str | None:
    """`quality` for mode `full`, `spam` for mode `simple`, null otherwise (TREE-33, TREE-35)."""
    if mode is None:
        return None
    return _DISPOSITION_BY_MODE.get(str(mode))
