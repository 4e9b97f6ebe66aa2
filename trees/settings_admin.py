"""Admin for the runtime tree-manager settings (DATA-16, GEN-10, MOD-20).

The forms are generated from the parameter registry (`trees.parameters`): one optional
field per parameter, blank meaning "inherit". Saving goes through the services, which
validate (TREE-81), journal the change and clear the configuration cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin

from trees.config import env_defaults, global_config
from trees.models import LanguageSettings, TreeManagerSettings
from trees.parameters import (
    GLOBAL_PARAMETERS,
    LANGUAGE_OVERRIDE_PARAMETERS,
    InvalidParameter,
    parameter_kind,
)
from trees.services.settings import (
    global_overrides_clean,
    language_overrides_clean,
    language_settings_update,
    tree_manager_settings_update,
)

if TYPE_CHECKING:
    import dataclasses

    from django.http import HttpRequest

_BOOL_CHOICES = [("", "inherit"), ("true", "yes"), ("false", "no")]


def _display(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(value) or "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _form_field(field: dataclasses.Field[Any], inherited: Any) -> forms.Field:
    """An optional form field for one parameter; blank inherits `inherited`."""
    meta = field.metadata
    help_text = f"{meta['help']} Blank inherits {_display(inherited)}."
    kind = parameter_kind(field)
    common: dict[str, Any] = {"required": False, "help_text": help_text}
    if kind == "bool":
        return forms.ChoiceField(choices=_BOOL_CHOICES, **common)
    if kind == "int":
        return forms.IntegerField(min_value=meta["minimum"], max_value=meta["maximum"], **common)
    if kind == "float":
        return forms.FloatField(min_value=meta["minimum"], max_value=meta["maximum"], **common)
    return forms.CharField(
        widget=forms.TextInput(attrs={"size": 100}),
        **{**common, "help_text": help_text + " Comma-separated."},
    )


def _initial(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(value)
    return value


class _OverridesForm(forms.ModelForm[Any]):
    """Common part: parameter fields in, an `overrides` dict out (in cleaned_data)."""

    parameters: tuple[dataclasses.Field[Any], ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inherited = self.inherited_config()
        stored: dict[str, Any] = self.instance.overrides if self.instance.pk else {}
        for field in self.parameters:
            self.fields[field.name] = _form_field(field, getattr(inherited, field.name))
            if field.name in stored:
                self.initial[field.name] = _initial(stored[field.name])

    def inherited_config(self) -> Any:
        return env_defaults()

    def raw_overrides(self) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        for field in self.parameters:
            value = self.cleaned_data.get(field.name)
            if value is None or value == "":
                continue
            raw[field.name] = value
        return raw

    def clean_overrides(self, raw: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            cleaned["overrides"] = self.clean_overrides(self.raw_overrides())
        except InvalidParameter as exc:
            target = exc.name if exc.name in self.fields else None
            self.add_error(target, exc.message)
        return cleaned


class TreeManagerSettingsForm(_OverridesForm):
    parameters = GLOBAL_PARAMETERS

    class Meta:
        model = TreeManagerSettings
        fields: list[str] = []

    def clean_overrides(self, raw: dict[str, Any]) -> dict[str, Any]:
        return global_overrides_clean(raw)


class LanguageSettingsForm(_OverridesForm):
    parameters = LANGUAGE_OVERRIDE_PARAMETERS

    class Meta:
        model = LanguageSettings
        fields = ["lang", "accept_initial_prompts"]

    def inherited_config(self) -> Any:
        return global_config()

    def clean_overrides(self, raw: dict[str, Any]) -> dict[str, Any]:
        return language_overrides_clean(raw)


@admin.register(TreeManagerSettings)
class TreeManagerSettingsAdmin(admin.ModelAdmin[TreeManagerSettings]):
    form = TreeManagerSettingsForm
    list_display = ("__str__", "overridden", "updated_date", "updated_by")
    list_select_related = ("updated_by",)
    readonly_fields = ("updated_date", "updated_by")

    @admin.display(description="overridden parameters")
    def overridden(self, obj: TreeManagerSettings) -> str:
        return ", ".join(sorted(obj.overrides)) or "(none)"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not TreeManagerSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # clear fields instead: every change is journaled by the service

    def save_model(
        self, request: HttpRequest, obj: TreeManagerSettings, form: Any, change: bool
    ) -> None:
        row = tree_manager_settings_update(
            overrides=form.cleaned_data["overrides"], account_id=request.user.pk
        )
        obj.pk, obj.overrides = row.pk, row.overrides


@admin.register(LanguageSettings)
class LanguageSettingsAdmin(admin.ModelAdmin[LanguageSettings]):
    form = LanguageSettingsForm
    list_display = ("lang", "accept_initial_prompts", "overridden", "updated_date", "updated_by")
    list_filter = ("accept_initial_prompts",)
    list_select_related = ("updated_by",)
    search_fields = ("lang",)
    readonly_fields = ("updated_date", "updated_by")

    @admin.display(description="overridden parameters")
    def overridden(self, obj: LanguageSettings) -> str:
        return ", ".join(sorted(obj.overrides)) or "(none)"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The language is the row's identity: fixed once created.
        return (*self.readonly_fields, "lang") if obj is not None else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # clear fields instead: every change is journaled by the service

    def save_model(
        self, request: HttpRequest, obj: LanguageSettings, form: Any, change: bool
    ) -> None:
        row = language_settings_update(
            lang=obj.lang,
            accept_initial_prompts=form.cleaned_data["accept_initial_prompts"],
            overrides=form.cleaned_data["overrides"],
            account_id=request.user.pk,
        )
        obj.pk, obj.overrides = row.pk, row.overrides
