"""Request parsing for the protocol (API-GEN-1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.negotiation import DefaultContentNegotiation

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
