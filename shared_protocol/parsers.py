"""Request parsing for the protocol (API-GEN-1)."""

from __future__ import annotations

from rest_framework.parsers import JSONParser


class LenientJSONParser(JSONParser):
    """Parses every request body as JSON, whatever its declared content type.

    Some clients send JSON as `text/plain` or with a charset variant; the original
    (FastAPI) parsed those as JSON too. An empty body is no data, never an error (DRF
    does not call parsers for empty bodies).
    """

    media_type = "*/*"
