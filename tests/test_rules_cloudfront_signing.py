"""CloudFront signed URLs and cookies, checked as CloudFront does (no sandbox needed)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from course_utils.rules.cloudfront_signing import (canned_policy, check_cookies, check_url, demo_rsa_key,
                                                   signed_cookies)

UTC = timezone.utc
T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
BASE = "https://d111111abcdef8.cloudfront.net"


@pytest.fixture(scope="module")
def key():
    return demo_rsa_key()


@pytest.fixture(scope="module")
def keys(key):
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"K2JCJMDEHXQW5F": pem.decode()}


@pytest.fixture(scope="module")
def signer(key):
    return CloudFrontSigner("K2JCJMDEHXQW5F", lambda m: key.sign(m, padding.PKCS1v15(), hashes.SHA1()))


def test_demo_key_is_a_working_2048_bit_key(key):
    assert key.key_size == 2048
    sig = key.sign(b"x", padding.PKCS1v15(), hashes.SHA256())
    key.public_key().verify(sig, b"x", padding.PKCS1v15(), hashes.SHA256())


def test_canned_url_valid_until_expires(signer, keys):
    url = signer.generate_presigned_url(f"{BASE}/videos/intro.mp4?quality=hd", date_less_than=T0 + timedelta(hours=1))
    assert check_url(url, keys, at=T0 + timedelta(minutes=59)).allowed
    late = check_url(url, keys, at=T0 + timedelta(hours=1))
    assert (late.allowed, late.status) == (False, 403) and "expired" in late.reason


def test_canned_url_tampering_is_caught(signer, keys):
    url = signer.generate_presigned_url(f"{BASE}/videos/intro.mp4", date_less_than=T0 + timedelta(hours=1))
    later = url.replace(f"Expires={int((T0 + timedelta(hours=1)).timestamp())}",
                        f"Expires={int((T0 + timedelta(days=30)).timestamp())}")
    assert "signature does not match" in check_url(later, keys, at=T0).reason
    other = url.replace("intro.mp4", "premium.mp4")
    assert "signature does not match" in check_url(other, keys, at=T0).reason


def test_unknown_or_missing_key_pair_id(signer, keys):
    url = signer.generate_presigned_url(f"{BASE}/a.jpg", date_less_than=T0 + timedelta(hours=1))
    assert "not a public key" in check_url(url.replace("K2JCJMDEHXQW5F", "KOTHER"), keys, at=T0).reason
    assert not check_url(f"{BASE}/a.jpg", keys, at=T0).allowed


def test_custom_policy_wildcard_window_and_ip(signer, keys):
    policy = signer.build_policy(f"{BASE}/courses/101/*", T0 + timedelta(days=1), date_greater_than=T0 + timedelta(hours=2),
                                 ip_address="203.0.113.0/24")
    url = signer.generate_presigned_url(f"{BASE}/courses/101/lesson1.mp4", policy=policy)
    assert "Policy=" in url and "Expires=" not in url
    ok = check_url(url, keys, at=T0 + timedelta(hours=3), client_ip="203.0.113.9")
    assert ok.allowed and ok.policy["Statement"][0]["Resource"] == f"{BASE}/courses/101/*"
    assert "not valid before" in check_url(url, keys, at=T0 + timedelta(hours=1), client_ip="203.0.113.9").reason
    assert "outside IpAddress" in check_url(url, keys, at=T0 + timedelta(hours=3), client_ip="198.51.100.7").reason
    assert "expired" in check_url(url, keys, at=T0 + timedelta(days=1), client_ip="203.0.113.9").reason
    # the same policy signs other files under the wildcard, not files outside it
    other = signer.generate_presigned_url(f"{BASE}/courses/102/lesson1.mp4", policy=policy)
    assert "not covered by Resource" in check_url(other, keys, at=T0 + timedelta(hours=3), client_ip="203.0.113.9").reason


def test_signed_cookies_custom_and_canned(signer, keys):
    policy = signer.build_policy(f"{BASE}/members/*", T0 + timedelta(hours=8))
    cookies = signed_cookies(signer.key_id, signer.rsa_signer, policy=policy)
    assert set(cookies) == {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}
    assert check_cookies(f"{BASE}/members/a.pdf", cookies, keys, at=T0).allowed
    assert check_cookies(f"{BASE}/members/sub/b.pdf", cookies, keys, at=T0).allowed
    assert not check_cookies(f"{BASE}/admin/c.pdf", cookies, keys, at=T0).allowed
    assert not check_cookies(f"{BASE}/members/a.pdf", cookies, keys, at=T0 + timedelta(hours=9)).allowed
    assert not check_cookies(f"{BASE}/members/a.pdf", {}, keys, at=T0).allowed
    canned = signed_cookies(signer.key_id, signer.rsa_signer, url=f"{BASE}/one.pdf", date_less_than=T0 + timedelta(hours=1))
    assert "CloudFront-Expires" in canned and check_cookies(f"{BASE}/one.pdf", canned, keys, at=T0).allowed
    assert not check_cookies(f"{BASE}/two.pdf", canned, keys, at=T0).allowed


def test_signed_url_takes_precedence_over_cookies(signer, keys):
    cookies = signed_cookies(signer.key_id, signer.rsa_signer, policy=signer.build_policy(f"{BASE}/*", T0 + timedelta(days=1)))
    expired_url = signer.generate_presigned_url(f"{BASE}/a.jpg", date_less_than=T0 - timedelta(minutes=1))
    assert not check_cookies(expired_url, cookies, keys, at=T0).allowed
    assert check_cookies(f"{BASE}/a.jpg", cookies, keys, at=T0).allowed


def test_sha256_and_ecdsa_keys():
    private = ec.derive_private_key(0x5EED, ec.SECP256R1())
    pem = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    signer = CloudFrontSigner("KEC", lambda m: private.sign(m, ec.ECDSA(hashes.SHA256())))
    url = signer.generate_presigned_url(f"{BASE}/a.jpg", date_less_than=T0 + timedelta(hours=1))
    assert "signature does not match" in check_url(url, {"KEC": pem}, at=T0).reason  # SHA-1 assumed without the parameter
    assert check_url(url + "&Hash-Algorithm=SHA256", {"KEC": pem}, at=T0).allowed


def test_canned_policy_matches_botocore(signer):
    assert canned_policy(f"{BASE}/a.jpg", 1767290400) == signer.build_policy(f"{BASE}/a.jpg", datetime.fromtimestamp(1767290400, UTC))
