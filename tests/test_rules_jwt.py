"""The one JWT verifier, on tokens signed here (no sandbox): each check fails on its own."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from course_utils.rules.jwt import TokenRejected, peek, verify

ISS = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"
NOW = 1_900_000_000.0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def key():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = private.public_key().public_numbers()
    jwk = {"kid": "k1", "kty": "RSA", "alg": "RS256",
           "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")), "e": _b64(numbers.e.to_bytes(3, "big"))}
    return private, {"keys": [jwk]}


def _token(private, claims, header=None):
    head = _b64(json.dumps(header or {"kid": "k1", "alg": "RS256"}).encode())
    body = _b64(json.dumps(claims).encode())
    sig = private.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{_b64(sig)}"


def _claims(**kw):
    return {"iss": ISS, "aud": "app", "token_use": "id", "exp": NOW + 60, **kw}


def _rejected(key, token, **kw):
    args = {"jwks": key[1], "issuers": ISS, "audiences": "app", "now": NOW} | kw
    with pytest.raises(TokenRejected) as info:
        verify(token, **args)
    return info.value.check


def test_a_good_token_verifies_and_returns_its_claims(key):
    token = _token(key[0], _claims())
    assert verify(token, jwks=key[1], issuers=[ISS], audiences=["app"], token_use="id", now=NOW)["aud"] == "app"
    assert peek(token)[0]["kid"] == "k1"


def test_access_tokens_are_checked_on_client_id_and_lists_of_aud_work(key):
    access = _token(key[0], _claims(aud=None, client_id="app", token_use="access"))
    assert verify(access, jwks=key[1], issuers=ISS, audiences="app", now=NOW)["client_id"] == "app"
    multi = _token(key[0], _claims(aud=["other", "app"], token_use=None))
    assert verify(multi, jwks=key[1], issuers=ISS, audiences=["app"], now=NOW)
    assert verify(_token(key[0], _claims(aud="x")), jwks=key[1], issuers=ISS, audiences=None, now=NOW)


def test_each_check_fails_on_its_own(key):
    private = key[0]
    assert _rejected(key, "a.b") == "format"
    assert _rejected(key, _token(private, _claims(), {"kid": "other", "alg": "RS256"})) == "kid"
    assert _rejected(key, _token(private, _claims(), {"kid": "k1", "alg": "HS256"})) == "alg"
    head, body, sig = _token(private, _claims()).split(".")
    assert _rejected(key, f"{head}.{_b64(json.dumps(_claims(aud='x')).encode())}.{sig}") == "signature"
    assert _rejected(key, _token(private, _claims(exp=NOW))) == "exp"
    assert _rejected(key, _token(private, _claims(nbf=NOW + 10))) == "nbf"
    assert _rejected(key, _token(private, _claims(iss="https://evil"))) == "iss"
    assert _rejected(key, _token(private, _claims()), token_use="access") == "token_use"
    assert _rejected(key, _token(private, _claims(aud="someone-else"))) == "aud"


def test_a_key_that_cannot_be_read_is_a_signature_failure(key):
    bad = {"keys": [{"kid": "k1", "kty": "RSA", "n": "!!", "e": "AQAB"}]}
    assert _rejected(key, _token(key[0], _claims()), jwks=bad) == "signature"
