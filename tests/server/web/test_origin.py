"""OriginPolicy on its own: which Origin and Host pairs pass."""

import pytest

from app.server.web.origin import OriginPolicy, authority


def policy(host: str = "127.0.0.1", public: str | None = None, **kw: object) -> OriginPolicy:
    p = OriginPolicy(host, public, **kw)  # type: ignore[arg-type]
    p.bound(8765)
    return p


def test_authority_has_one_spelling() -> None:
    assert authority("Example.COM:80") == ("example.com", None)
    assert authority("example.com.") == ("example.com", None)
    assert authority("[::1]:8765") == ("::1", 8765)
    assert authority("example.com:443") == authority("example.com")
    assert authority("user@example.com") is None
    assert authority("example.com:99999") is None
    assert authority("") is None


def test_same_origin_needs_a_name_the_server_has() -> None:
    p = policy()
    assert p.origin_allowed(None, "anything")
    assert p.origin_allowed("http://127.0.0.1:8765", "127.0.0.1:8765")
    assert p.origin_allowed("http://localhost:8765", "localhost:8765")
    assert p.origin_allowed("http://[::1]:8765", "[::1]:8765")
    assert not p.origin_allowed("http://127.0.0.1:9999", "127.0.0.1:8765")
    assert not p.origin_allowed("http://evil.example:8765", "evil.example:8765")
    assert not p.origin_allowed("null", "127.0.0.1:8765")
    assert not p.origin_allowed("file://", "127.0.0.1:8765")
    assert not p.origin_allowed("http://127.0.0.1:8765/path", "127.0.0.1:8765")


def test_public_address_behind_a_tls_proxy() -> None:
    p = policy("0.0.0.0", "rooms.example.org")
    assert p.origin_allowed("https://rooms.example.org", "rooms.example.org")
    assert p.origin_allowed("http://rooms.example.org:8765", "rooms.example.org:8765")
    assert not p.host_allowed("evil.example")
    assert p.host_allowed("localhost:8765")


def test_every_interface_without_a_name_accepts_any_host_but_not_any_origin() -> None:
    p = policy("0.0.0.0")
    assert p.host_allowed("192.0.2.7:8765")
    assert p.origin_allowed("http://192.0.2.7:8765", "192.0.2.7:8765")
    assert not p.origin_allowed("http://evil.example", "192.0.2.7:8765")


def test_origins_allowed_by_name() -> None:
    p = policy(allowed_origins=["https://app.example.com/"])
    assert p.origin_allowed("https://app.example.com", "127.0.0.1:8765")
    assert not p.origin_allowed("https://other.example.com", "127.0.0.1:8765")
    assert policy(allowed_origins=["*"]).origin_allowed("https://x.example", "127.0.0.1:8765")


def test_a_bad_public_address_is_refused() -> None:
    with pytest.raises(ValueError, match="not a host"):
        OriginPolicy("127.0.0.1", "user@host")
