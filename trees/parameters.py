"""Tree-manager parameters (trees.md §13, TREE-80 … TREE-82).

`TreeManagerConfig` is the registry: one typed field per parameter, with its default
and, in the field metadata, whether it may be overridden per language and its bounds.
The environment supplies defaults as `TREE_MANAGER__<UPPERCASE NAME>`; runtime
overrides are resolved in `trees.config`. This module imports no models, so settings
can use it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Literal

from shared_protocol.enums import TextLabel

if TYPE_CHECKING:
    from collections.abc import Mapping

    import environ

Scope = Literal["global", "both", "language"]
Kind = Literal["int", "float", "bool", "labels", "langs"]

ENV_PREFIX = "TREE_MANAGER__"

_ALL_BUT_FAILS_TASK_AND_CO = (
    "spam,lang_mismatch,quality,creativity,humor,toxicity,violence,"
    "not_appropriate,pii,hate_speech,sexual_content"
)


def _p(
    default: Any,
    *,
    scope: Scope = "global",
    minimum: float | None = None,
    maximum: float | None = None,
    help: str,
) -> Any:
    return dataclasses.field(
        default=default,
        metadata={"scope": scope, "minimum": minimum, "maximum": maximum, "help": help},
    )


def _labels(csv: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in csv.split(",") if part.strip())


@dataclasses.dataclass(frozen=True)
class TreeManagerConfig:
    """Effective tree-manager configuration for one language. Immutable (IMP-6)."""

    max_active_trees: int = _p(
        10, scope="both", minimum=0, help="Growing trees per language the lottery keeps."
    )
    max_initial_prompt_review: int = _p(
        100, scope="both", minimum=0, help="Prompts under review before prompt intake stops."
    )
    max_prompt_lottery_waiting: int = _p(
        250, scope="both", minimum=0, help="Waiting prompts before prompt intake stops."
    )
    accept_initial_prompts: bool = _p(
        True, scope="language", help="Prompt intake switch (per-language row only)."
    )
    init_prompt_disabled_langs: tuple[str, ...] = _p(
        (), help="Languages without prompt intake (same effect as the per-language switch)."
    )
    max_tree_depth: int = _p(3, scope="both", minimum=0, help="Greatest message depth (root = 0).")
    max_children_count: int = _p(3, scope="both", minimum=1, help="Replies per message.")
    num_prompter_replies: int = _p(
        1, scope="both", minimum=0, help="Prompter replies per assistant message."
    )
    goal_tree_size: int = _p(
        12, scope="both", minimum=0, help="Accepted messages per tree before ranking."
    )
    random_goal_tree_size: bool = _p(False, scope="both", help="Draw the goal size per tree.")
    min_goal_tree_size: int = _p(
        5, scope="both", minimum=0, help="Lower bound of the drawn goal size."
    )
    num_reviews_initial_prompt: int = _p(3, minimum=1, help="Reviews that decide a prompt.")
    num_reviews_reply: int = _p(3, minimum=1, help="Reviews that decide a reply.")
    acceptance_threshold_initial_prompt: float = _p(
        0.6, minimum=-1.0, maximum=1.0, help="Prompt acceptance threshold (strict)."
    )
    acceptance_threshold_reply: float = _p(
        0.6, minimum=-1.0, maximum=1.0, help="Reply acceptance threshold (strict)."
    )
    num_required_rankings: int = _p(3, minimum=1, help="Completed rankings per rankable parent.")
    rank_prompter_replies: bool = _p(False, help="Also rank prompter replies.")
    auto_mod_enabled: bool = _p(True, help="Auto-moderation switch.")
    auto_mod_red_flags: int = _p(
        4, minimum=0, help="Red flags that delete a reply or abort a prompt."
    )
    auto_mod_max_skip_reply: int = _p(25, minimum=0, help="Reply skips that halt a tree.")
    p_full_labeling_review_prompt: float = _p(
        1.0, minimum=0.0, maximum=1.0, help="Probability of full prompt reviews."
    )
    p_full_labeling_review_reply_assistant: float = _p(
        1.0,
        minimum=0.0,
        maximum=1.0,
        help="Probability of full assistant-reply reviews (random requests).",
    )
    p_full_labeling_review_reply_prompter: float = _p(
        0.1,
        minimum=0.0,
        maximum=1.0,
        help="Probability of full prompter-reply reviews (random requests).",
    )
    labels_initial_prompt: tuple[str, ...] = _p(
        _labels(_ALL_BUT_FAILS_TASK_AND_CO), help="Labels of a full prompt review."
    )
    labels_assistant_reply: tuple[str, ...] = _p(
        _labels(
            "spam,lang_mismatch,fails_task,quality,helpfulness,creativity,humor,toxicity,"
            "violence,not_appropriate,pii,hate_speech,sexual_content"
        ),
        help="Labels of a full assistant-reply review.",
    )
    labels_prompter_reply: tuple[str, ...] = _p(
        _labels(_ALL_BUT_FAILS_TASK_AND_CO), help="Labels of a full prompter-reply review."
    )
    mandatory_labels_initial_prompt: tuple[str, ...] = _p(
        ("spam",), help="Labels required in prompt reviews."
    )
    mandatory_labels_assistant_reply: tuple[str, ...] = _p(
        ("spam",), help="Labels required in assistant-reply reviews."
    )
    mandatory_labels_prompter_reply: tuple[str, ...] = _p(
        ("spam",), help="Labels required in prompter-reply reviews."
    )
    lonely_children_count: int = _p(
        2, minimum=0, help='Parents with fewer active children are "lonely".'
    )
    p_lonely_child_extension: float = _p(
        0.75, minimum=0.0, maximum=1.0, help="Probability of preferring a lonely prompter parent."
    )
    recent_tasks_span_sec: int = _p(
        300, minimum=1, help="Pending-cap window and lease length, in seconds."
    )
    max_pending_tasks_per_user: int = _p(8, minimum=0, help="Pending-task cap.")
    lease_review_and_ranking_tasks: bool = _p(
        True, help="Review and ranking quotas (TREE-24 b, c)."
    )
    p_activate_backlog_tree: float = _p(
        0.1,
        scope="both",
        minimum=0.0,
        maximum=1.0,
        help="Probability of a backlog top-up each time a tree finishes (TREE-3).",
    )
    min_active_rankings_per_lang: int = _p(
        0, scope="both", minimum=0, help="Keep at least this many ranking groups via backlog."
    )
    lottery_max_activations_per_run: int = _p(
        10, minimum=0, help="Lottery activations per language per pump run."
    )
    task_weight_ranking: float = _p(10.0, minimum=0, help="Random task-kind weight: ranking.")
    task_weight_label_reply: float = _p(
        5.0, minimum=0, help="Random task-kind weight: reply review."
    )
    task_weight_label_prompt: float = _p(
        5.0, minimum=0, help="Random task-kind weight: prompt review."
    )
    task_weight_reply: float = _p(2.0, minimum=0, help="Random task-kind weight: reply.")
    task_weight_prompt: float = _p(0.01, minimum=0, help="Random task-kind weight: prompt.")


PARAMETERS: tuple[dataclasses.Field[Any], ...] = dataclasses.fields(TreeManagerConfig)
PARAMETERS_BY_NAME: dict[str, dataclasses.Field[Any]] = {f.name: f for f in PARAMETERS}
GLOBAL_PARAMETERS = tuple(f for f in PARAMETERS if f.metadata["scope"] in ("global", "both"))
LANGUAGE_PARAMETERS = tuple(f for f in PARAMETERS if f.metadata["scope"] in ("both", "language"))
LANGUAGE_OVERRIDE_PARAMETERS = tuple(f for f in PARAMETERS if f.metadata["scope"] == "both")


def parameter_kind(field: dataclasses.Field[Any]) -> Kind:
    """The value kind of a parameter, from its default."""
    default = field.default
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    if field.name == "init_prompt_disabled_langs":
        return "langs"
    return "labels"


class InvalidParameter(ValueError):
    """A parameter value that TREE-81 forbids; `name` is the offending parameter."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def coerce_parameter(name: str, raw: Any) -> Any:
    """Turn `raw` (JSON value or environment string) into the parameter's type, checking bounds."""
    field = PARAMETERS_BY_NAME.get(name)
    if field is None:
        raise InvalidParameter(name, "unknown tree-manager parameter")
    kind = parameter_kind(field)
    value: Any
    try:
        if kind == "bool":
            if isinstance(raw, str):
                lowered = raw.strip().lower()
                if lowered not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
                    raise ValueError(raw)
                value = lowered in {"true", "1", "yes", "on"}
            elif isinstance(raw, bool):
                value = raw
            else:
                raise ValueError(raw)
        elif kind == "int":
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError(raw)
            value = int(raw)
        elif kind == "float":
            if isinstance(raw, bool):
                raise ValueError(raw)
            value = float(raw)
        else:
            items = _labels(raw) if isinstance(raw, str) else tuple(str(item) for item in raw)
            value = tuple(dict.fromkeys(items))  # drop repeats, keep order
    except (TypeError, ValueError):
        raise InvalidParameter(name, f"expected a {kind} value, got {raw!r}") from None
    minimum, maximum = field.metadata["minimum"], field.metadata["maximum"]
    if minimum is not None and value < minimum:
        raise InvalidParameter(name, f"must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise InvalidParameter(name, f"must be at most {maximum}")
    if kind == "labels":
        unknown = [label for label in value if label not in TextLabel.values]
        if unknown:
            raise InvalidParameter(name, f"unknown labels: {', '.join(unknown)}")
    return value


def validate_config(config: TreeManagerConfig) -> None:
    """Cross-parameter rules of TREE-81; raises InvalidParameter."""
    if config.min_goal_tree_size > config.goal_tree_size:
        raise InvalidParameter(
            "min_goal_tree_size",
            f"must not exceed goal_tree_size ({config.goal_tree_size})",
        )
    for kind in ("initial_prompt", "assistant_reply", "prompter_reply"):
        labels = getattr(config, f"labels_{kind}")
        missing = [m for m in getattr(config, f"mandatory_labels_{kind}") if m not in labels]
        if missing:
            raise InvalidParameter(
                f"labels_{kind}",
                f"must include the mandatory labels {', '.join(missing)}",
            )


def build_config(values: Mapping[str, Any], *, base: TreeManagerConfig) -> TreeManagerConfig:
    """`base` with `values` (raw) applied, coerced and validated."""
    coerced = {name: coerce_parameter(name, raw) for name, raw in values.items()}
    config = dataclasses.replace(base, **coerced)
    validate_config(config)
    return config


def tree_manager_env_defaults(env: environ.Env) -> TreeManagerConfig:
    """The configuration defaults, with `TREE_MANAGER__<NAME>` environment values applied."""
    raw = {
        field.name: env.str(ENV_PREFIX + field.name.upper())
        for field in PARAMETERS
        if ENV_PREFIX + field.name.upper() in env.ENVIRON
    }
    return build_config(raw, base=TreeManagerConfig())


def config_as_json(config: TreeManagerConfig) -> dict[str, Any]:
    """JSON-ready dict of every parameter (tuples become lists)."""
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in dataclasses.asdict(config).items()
    }
