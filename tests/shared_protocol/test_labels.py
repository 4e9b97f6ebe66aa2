"""Label descriptions and the fixed label lists (API-OBJ-11, API-OBJ-15, API-LBL-2, API-LBL-3)."""

from __future__ import annotations

import pytest

from shared_protocol.enums import TextLabel
from shared_protocol.labels import (
    DEFAULT_VALID_LABELS,
    LABEL_DESCRIPTIONS,
    REPORT_LABELS,
    default_valid_labels,
    describe,
    disposition_for_mode,
    report_labels,
)


def test_every_text_label_is_described_in_api_obj_15_order_with_its_widget() -> None:
    """API-OBJ-15: labels, their order and widgets."""
    assert [(d.name, d.widget) for d in LABEL_DESCRIPTIONS.values()] == [
        ("spam", "yes_no"),
        ("fails_task", "yes_no"),
        ("lang_mismatch", "flag"),
        ("pii", "flag"),
        ("not_appropriate", "flag"),
        ("hate_speech", "flag"),
        ("sexual_content", "flag"),
        ("moral_judgement", "flag"),
        ("political_content", "flag"),
        ("quality", "likert"),
        ("toxicity", "likert"),
        ("humor", "likert"),
        ("helpfulness", "likert"),
        ("creativity", "likert"),
        ("violence", "likert"),
    ]
    assert set(LABEL_DESCRIPTIONS) == set(TextLabel.values)


def test_every_label_has_a_non_empty_display_text() -> None:
    """API-OBJ-11: display_text is non-empty."""
    assert all(d.display_text.strip() for d in LABEL_DESCRIPTIONS.values())


def test_lang_mismatch_and_hate_speech_carry_a_help_text() -> None:
    """API-OBJ-15: `lang_mismatch` and `hate_speech` SHOULD carry a help_text."""
    assert LABEL_DESCRIPTIONS["lang_mismatch"].help_text
    assert LABEL_DESCRIPTIONS["hate_speech"].help_text


def test_describe_gives_label_description_objects_in_the_given_order() -> None:
    """API-OBJ-11: `{name, widget, display_text, help_text}`, order kept (API-TT-5)."""
    described = describe(["quality", "spam"])
    assert [d["name"] for d in described] == ["quality", "spam"]
    assert described[1] == {
        "name": "spam",
        "widget": "yes_no",
        "display_text": LABEL_DESCRIPTIONS["spam"].display_text,
        "help_text": None,
    }


def test_describe_rejects_a_name_that_is_not_a_text_label() -> None:
    """API-OBJ-15: only TextLabel names have descriptions."""
    with pytest.raises(ValueError, match="bogus"):
        describe(["spam", "bogus"])


def test_default_valid_labels_are_all_but_fails_task_in_api_obj_15_order() -> None:
    """API-LBL-2: every TextLabel except fails_task, in the order of API-OBJ-15."""
    expected = [
        "spam",
        "lang_mismatch",
        "pii",
        "not_appropriate",
        "hate_speech",
        "sexual_content",
        "moral_judgement",
        "political_content",
        "quality",
        "toxicity",
        "humor",
        "helpfulness",
        "creativity",
        "violence",
    ]
    assert list(DEFAULT_VALID_LABELS) == expected
    assert [d["name"] for d in default_valid_labels()] == expected


def test_report_labels_are_listed_in_the_order_of_api_lbl_3() -> None:
    """API-LBL-3: the report labels and their order."""
    expected = [
        "spam",
        "not_appropriate",
        "pii",
        "hate_speech",
        "sexual_content",
        "moral_judgement",
        "political_content",
        "toxicity",
        "violence",
        "quality",
    ]
    assert list(REPORT_LABELS) == expected
    assert [d["name"] for d in report_labels()] == expected


@pytest.mark.parametrize(
    ("mode", "disposition"), [("full", "quality"), ("simple", "spam"), (None, None)]
)
def test_label_task_disposition_follows_the_mode(mode: str | None, disposition: str | None) -> None:
    """TREE-33, TREE-35: full ↔ quality, simple ↔ spam."""
    assert disposition_for_mode(mode) == disposition
