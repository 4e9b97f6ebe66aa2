"""Protocol error codes (api.md API-GEN-8) and the domain error that carries them.

Services raise `DomainError` (or a subclass) with a code; one DRF exception handler maps
it to `{"message": str, "error_code": int}` with the code's HTTP status. Services never
import DRF, views never build error bodies.
"""

from enum import IntEnum
from http import HTTPStatus


class ErrorCode(IntEnum):
    GENERIC_ERROR = 0
    DATABASE_URI_NOT_SET = 1
    API_CLIENT_NOT_AUTHORIZED = 2
    ROOT_TOKEN_NOT_AUTHORIZED = 3
    DATABASE_MAX_RETRIES_EXHAUSTED = 4
    SORT_KEY_UNSUPPORTED = 100
    INVALID_CURSOR_VALUE = 101
    TOO_MANY_REQUESTS = 429
    SERVER_ERROR0 = 500
    SERVER_ERROR1 = 501
    INVALID_AUTHENTICATION = 600
    TASK_INVALID_REQUEST_TYPE = 1000
    TASK_ACK_FAILED = 1001
    TASK_NACK_FAILED = 1002
    TASK_INVALID_RESPONSE_TYPE = 1003
    TASK_INTERACTION_REQUEST_FAILED = 1004
    TASK_GENERATION_FAILED = 1005
    TASK_REQUESTED_TYPE_NOT_AVAILABLE = 1006
    TASK_AVAILABILITY_QUERY_FAILED = 1007
    TASK_MESSAGE_TOO_LONG = 1008
    TASK_MESSAGE_DUPLICATED = 1009
    TASK_MESSAGE_TEXT_EMPTY = 1010
    TASK_MESSAGE_DUPLICATE_REPLY = 1011
    TASK_TOO_MANY_PENDING = 1012
    INVALID_FRONTEND_MESSAGE_ID = 2000
    MESSAGE_NOT_FOUND = 2001
    RATING_OUT_OF_RANGE = 2002
    INVALID_RANKING_VALUE = 2003
    INVALID_TASK_TYPE = 2004
    NO_MESSAGE_TREE_FOUND = 2006
    NO_REPLIES_FOUND = 2007
    INVALID_MESSAGE = 2008
    BROKEN_CONVERSATION = 2009
    TREE_IN_ABORTED_STATE = 2010
    CORRUPT_RANKING_RESULT = 2011
    AUTH_AND_USERNAME_REQUIRED = 2012
    TEXT_LABELS_WRONG_MESSAGE_ID = 2050
    TEXT_LABELS_INVALID_LABEL = 2051
    TEXT_LABELS_MANDATORY_LABEL_MISSING = 2052
    TEXT_LABELS_NO_SELF_LABELING = 2053
    TASK_NOT_FOUND = 2100
    TASK_EXPIRED = 2101
    TASK_PAYLOAD_TYPE_MISMATCH = 2102
    TASK_ALREADY_UPDATED = 2103
    TASK_NOT_ACK = 2104
    TASK_ALREADY_DONE = 2105
    TASK_NOT_COLLECTIVE = 2106
    TASK_UNEXPECTED_PAYLOAD_TYPE_ = 2107
    HUGGINGFACE_API_ERROR = 3001
    USER_NOT_SPECIFIED = 4000
    USER_DISABLED = 4001
    USER_NOT_FOUND = 4002
    USER_HAS_NOT_ACCEPTED_TOS = 4003
    EMOJI_OP_UNSUPPORTED = 5000
    CACHED_STATS_NOT_AVAILABLE = 6000

    # Aliases (two names, one number).
    TEXT_LABELS_DUPLICATE_TASK_REPLY = 2053
    TASK_NOT_ASSIGNED_TO_USER = 2106


# Default HTTP status per code; anything not listed is 400. Endpoints may override.
_STATUS: dict[ErrorCode, HTTPStatus] = {
    ErrorCode.API_CLIENT_NOT_AUTHORIZED: HTTPStatus.FORBIDDEN,
    ErrorCode.ROOT_TOKEN_NOT_AUTHORIZED: HTTPStatus.FORBIDDEN,
    ErrorCode.DATABASE_MAX_RETRIES_EXHAUSTED: HTTPStatus.SERVICE_UNAVAILABLE,
    ErrorCode.TOO_MANY_REQUESTS: HTTPStatus.TOO_MANY_REQUESTS,
    ErrorCode.SERVER_ERROR0: HTTPStatus.INTERNAL_SERVER_ERROR,
    ErrorCode.SERVER_ERROR1: HTTPStatus.INTERNAL_SERVER_ERROR,
    ErrorCode.INVALID_AUTHENTICATION: HTTPStatus.UNAUTHORIZED,
    ErrorCode.TASK_REQUESTED_TYPE_NOT_AVAILABLE: HTTPStatus.SERVICE_UNAVAILABLE,
    ErrorCode.MESSAGE_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.INVALID_MESSAGE: HTTPStatus.INTERNAL_SERVER_ERROR,
    ErrorCode.BROKEN_CONVERSATION: HTTPStatus.INTERNAL_SERVER_ERROR,
    ErrorCode.USER_DISABLED: HTTPStatus.SERVICE_UNAVAILABLE,
    ErrorCode.USER_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.USER_HAS_NOT_ACCEPTED_TOS: HTTPStatus.UNAVAILABLE_FOR_LEGAL_REASONS,
}


def default_status(code: ErrorCode) -> HTTPStatus:
    """The HTTP status a code is answered with unless an endpoint says otherwise."""
    return _STATUS.get(code, HTTPStatus.BAD_REQUEST)


class DomainError(Exception):
    """An error a client can act on: a protocol code, an HTTP status and a message."""

    def __init__(
        self, code: ErrorCode, message: str = "", *, status: HTTPStatus | None = None
    ) -> None:
        super().__init__(message or code.name)
        self.code = code
        self.message = message or code.name
        self.status = status if status is not None else default_status(code)


class RateLimited(DomainError):
    """429 / 429 with the seconds until the window ends, sent as `Retry-After` (API-RL-1)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            ErrorCode.TOO_MANY_REQUESTS,
            f"Too many requests; try again in {retry_after} seconds",
        )
        self.retry_after = retry_after
