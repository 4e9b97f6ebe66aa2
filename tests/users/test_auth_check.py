"""`GET /api/v1/auth/check`: the website's NextAuth session cookie (API-AUTH-1, IMP-50).

Tokens are built here as NextAuth.js v4 builds them: a compact JWE, `alg = "dir"`,
`enc = "A256GCM"`, with the key HKDF-SHA256(secret, salt = "", info = "NextAuth.js Generated
Encryption Key", 32 bytes) and the protected-header segment as additional authenticated data.
"""

from __future__ import annotations

import base64
import json
import os
import time
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared_protocol.errors import DomainError, ErrorCode
from users.nextauth import nextauth_email_from_token

if TYPE_CHECKING:
    from django.test import Client
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse
    from pytest_django.fixtures import Settings as SettingsWrapper

AUTH_SECRET = "nextauth-secret-used-only-by-these-tests-4f1c2a9e"
COOKIE = "next-auth.session-token"
SECURE_COOKIE = "__Secure-next-auth.session-token"
URL = "/api/v1/auth/check"
DIR_A256GCM = {"alg": "dir", "enc": "A256GCM"}


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _jwe(
    claims: dict[str, Any] | bytes,
    *,
    secret: str = AUTH_SECRET,
    header: dict[str, Any] | None = None,
) -> str:
    """A NextAuth session token holding `claims` (a dict as JSON, or raw bytes)."""
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"",
        info=b"NextAuth.js Generated Encryption Key",
    ).derive(secret.encode("utf-8"))
    header_segment = _b64url(json.dumps(header or DIR_A256GCM).encode("utf-8"))
    plaintext = claims if isinstance(claims, bytes) else json.dumps(claims).encode("utf-8")
    iv = os.urandom(12)
    sealed = AESGCM(key).encrypt(iv, plaintext, header_segment.encode("ascii"))
    ciphertext, tag = sealed[:-16], sealed[-16:]
    return ".".join([header_segment, "", _b64url(iv), _b64url(ciphertext), _b64url(tag)])


ABSENT: Any = object()  # a claim left out of the token


def _session(**overrides: Any) -> dict[str, Any]:
    """Claims as NextAuth writes them, valid for 30 days from now; ABSENT drops one."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "name": "Ada",
        "email": "ada@example.com",
        "sub": "user-42",
        "iat": now,
        "exp": now + 30 * 24 * 3600,
        "jti": "0b9f2c3e",
        **overrides,
    }
    return {name: value for name, value in claims.items() if value is not ABSENT}


def _check(client: Client, token: str | None = None, *, name: str = COOKIE) -> TestResponse:
    if token is not None:
        client.cookies[name] = token
    return client.get(URL)


def _assert_auth_error(response: TestResponse, status: int) -> None:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"message", "error_code"}
    assert body["error_code"] == 600
    assert isinstance(body["message"], str)
    assert body["message"]


@pytest.fixture(autouse=True)
def _auth_secret(settings: SettingsWrapper) -> None:
    settings.AUTH_SECRET = AUTH_SECRET


def test_a_valid_session_answers_its_email_as_a_json_string(client: Client) -> None:
    response = _check(client, _jwe(_session()))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == "ada@example.com"


def test_it_needs_no_api_key_and_serves_both_slash_forms(client: Client) -> None:
    client.cookies[COOKIE] = _jwe(_session())

    assert client.get(URL + "/").json() == "ada@example.com"


@pytest.mark.parametrize("claims", [_session(email=ABSENT), _session(email=None)])
def test_a_session_without_email_answers_json_null(client: Client, claims: dict[str, Any]) -> None:
    response = _check(client, _jwe(claims))

    assert response.status_code == 200
    assert response.content == b"null"


def test_the_https_cookie_name_is_accepted_too(client: Client) -> None:
    response = _check(client, _jwe(_session(email="grace@example.com")), name=SECURE_COOKIE)

    assert response.status_code == 200
    assert response.json() == "grace@example.com"


def test_a_token_split_over_numbered_cookies_is_reassembled(client: Client) -> None:
    # NextAuth splits tokens too long for one cookie into `<name>.0`, `<name>.1`, …
    token = _jwe(_session(picture="https://example.com/" + "a" * 300))
    client.cookies[f"{COOKIE}.0"] = token[:200]
    client.cookies[f"{COOKIE}.1"] = token[200:]

    response = client.get(URL)

    assert response.status_code == 200
    assert response.json() == "ada@example.com"


def test_a_missing_cookie_is_403_with_code_600(client: Client) -> None:
    _assert_auth_error(_check(client), 403)


def test_an_empty_cookie_is_a_missing_cookie(client: Client) -> None:
    _assert_auth_error(_check(client, ""), 403)


def test_an_expired_token_is_401(client: Client) -> None:
    expired = _session(exp=int(time.time()) - 3600)

    _assert_auth_error(_check(client, _jwe(expired)), 401)


def test_a_token_encrypted_with_another_secret_is_401(client: Client) -> None:
    token = _jwe(_session(), secret="some-other-nextauth-secret-0123456789abcdef")

    _assert_auth_error(_check(client, token), 401)


def test_a_tampered_ciphertext_is_401(client: Client) -> None:
    header, key, iv, ciphertext, tag = _jwe(_session()).split(".")
    raw = bytearray(base64.urlsafe_b64decode(ciphertext + "=" * (-len(ciphertext) % 4)))
    raw[0] ^= 1
    tampered = ".".join([header, key, iv, _b64url(bytes(raw)), tag])

    _assert_auth_error(_check(client, tampered), 401)


def test_a_swapped_protected_header_is_401(client: Client) -> None:
    # The header is authenticated data: a different (still valid-looking) header fails.
    _, key, iv, ciphertext, tag = _jwe(_session()).split(".")
    other_header = _b64url(json.dumps({**DIR_A256GCM, "kid": "x"}).encode())

    _assert_auth_error(_check(client, ".".join([other_header, key, iv, ciphertext, tag])), 401)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("not-a-token", id="not-jwe"),
        pytest.param("a.b.c.d", id="four-parts"),
        pytest.param("a.b.c.d.e.f", id="six-parts"),
        pytest.param("e30.." + "A" * 16 + ".." + "A" * 22, id="empty-header-object"),
        pytest.param(_jwe(_session(), header={"alg": "A256KW", "enc": "A256GCM"}), id="other-alg"),
        pytest.param(
            _jwe(_session(), header={"alg": "dir", "enc": "A128CBC-HS256"}), id="other-enc"
        ),
        pytest.param(_jwe(_session(), header={**DIR_A256GCM, "zip": "DEF"}), id="compressed"),
        pytest.param(_jwe(b"not json"), id="plaintext-not-json"),
        pytest.param(_jwe(b'["a list"]'), id="plaintext-not-object"),
        pytest.param(_jwe(_session(email=42)), id="email-not-string"),
        pytest.param(_jwe(_session(exp="tomorrow")), id="exp-not-number"),
        pytest.param(_jwe(_session(nbf=int(time.time()) + 3600)), id="not-yet-valid"),
        pytest.param(_b64url(b"[" * 5000) + "..AAAA.AAAA.AAAA", id="deeply-nested-header"),
        pytest.param(_jwe(_session()).replace(".", ".*", 1), id="not-base64url"),
    ],
)
def test_a_malformed_token_is_401_never_500(client: Client, token: str) -> None:
    _assert_auth_error(_check(client, token), 401)


@pytest.mark.parametrize("secret", [None, ""])
def test_without_auth_secret_every_token_is_401(
    client: Client, settings: SettingsWrapper, secret: str | None
) -> None:
    settings.AUTH_SECRET = secret

    _assert_auth_error(_check(client, _jwe(_session())), 401)


def test_without_auth_secret_a_missing_cookie_is_still_403(
    client: Client, settings: SettingsWrapper
) -> None:
    settings.AUTH_SECRET = None

    _assert_auth_error(_check(client), 403)


# --- the token service -------------------------------------------------------------------------

# Made once with joserfc 1.6.5 (`jwe.encrypt_compact({"alg": "dir", "enc": "A256GCM"}, …)`)
# and the NextAuth key of INTEROP_SECRET: our decoder agrees with an independent JOSE library.
INTEROP_SECRET = "a-nextauth-secret-for-an-interop-vector-0123456789"
INTEROP_TOKEN = (
    "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..Pu4a5GhfwAOUdw3e"
    ".Xjqg7S5SGQHJ5naFezJnHpWIBzs5hk_1s9-40phm_B2ZqtJ1vO7FHXReBdZ3B61Cna5NiqUkxJOqd-q1Bt"
    "zb3YmeGrdfpff_zI9-_JeL.pB2IVDup1V_RKAakNf2NVw"
)


def test_a_token_made_by_another_jose_implementation_decrypts() -> None:
    assert nextauth_email_from_token(INTEROP_TOKEN, INTEROP_SECRET) == "ada@example.com"


def test_expiry_allows_nextauths_fifteen_seconds_of_clock_skew() -> None:
    token = _jwe(_session(exp=1_000_000))

    assert nextauth_email_from_token(token, AUTH_SECRET, now=1_000_014) == "ada@example.com"
    with pytest.raises(DomainError) as raised:
        nextauth_email_from_token(token, AUTH_SECRET, now=1_000_015)
    assert raised.value.code == ErrorCode.INVALID_AUTHENTICATION
    assert raised.value.status == 401
