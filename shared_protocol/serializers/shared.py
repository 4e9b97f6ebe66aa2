"""One reusable instance per serializer class, for the endpoints every volunteer hits.

Instantiating a DRF serializer deep-copies its declared fields (and those of every
nested serializer): the task endpoints paid that several times per request. An instance
whose methods keep no per-call state can serve every call: `to_representation()` takes
everything from its argument, and `run_validation()` either returns what `is_valid()`
would have put in `validated_data` or raises the ValidationError whose detail
`is_valid()` would have put in `errors`.

Only for serializers that read neither `initial_data`, `instance`, `partial` nor
`context`: the protocol's request and task serializers (tests/shared_protocol checks
their output against fresh instances).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rest_framework import serializers


_instances: dict[type, Any] = {}


def shared(serializer_class: type[serializers.BaseSerializer[Any]]) -> Any:
    """The process's instance of `serializer_class` (built without data or context)."""
    instance = _instances.get(serializer_class)
    if instance is None:
        instance = _instances[serializer_class] = serializer_class()
    return instance


def validated(serializer_class: type[serializers.BaseSerializer[Any]], data: Any) -> Any:
    """What `serializer_class(data=data)` validates to; raises its ValidationError."""
    return shared(serializer_class).run_validation(data)
