"""Request parsing for the protocol (API-GEN-1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rest_framework.parsers import BaseParser
    from rest_framework.request import Request


class LenientContentNegotiation(DefaultContentNegotiation):
    """Parse a body as JSON whatever its declared content type.

    Some clients send JSON as `text/plain` or with an unusual media type; the original
    (FastAPI) parsed those as JSON too. Only the parser choice is lenient: the schema still
    documents `application/json`. An empty body is no data, never an error (DRF does not
    call parsers for empty bodies).
    """

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> Any:
        candidates = list(parsers)
        chosen = super().select_parser(request, candidates)
        return chosen or (candidates[0] if candidates else None)


class ProtocolJSONParser(JSONParser):
    """DRF's JSON parser, with absurdly deep nesting a 422 instead of a crash (API-GEN-6)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
