"""The Host allow-list and the cross-site checks that keep web pages away from local services."""

from __future__ import annotations

import pytest

from fiscal.origin import HostAllowList, cross_site_reason, parse_host_list

DEFAULT = HostAllowList.for_server("127.0.0.1")


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000", "[::1]",
                                  "LOCALHOST:8000", None])
def test_loopback_names_are_answered_with_or_without_a_port(host: str | None) -> None:
    assert DEFAULT.allows(host)


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8000", "localhost.attacker.example",
                                  "127.0.0.1.nip.io:8000", "localhost:80:80", ""])
def test_other_names_are_refused(host: str) -> None:
    assert not DEFAULT.allows(host)


def test_the_bind_address_is_answered_unless_it_is_every_interface() -> None:
    assert HostAllowList.for_server("192.168.1.5").allows("192.168.1.5:8000")
    assert not HostAllowList.for_server("0.0.0.0").allows("0.0.0.0:8000")


def test_configured_names_match_any_port_or_only_the_one_given() -> None:
    allowed = HostAllowList.for_server("127.0.0.1", parse_host_list("kkt_adapter, pos.shop:8000"))

    assert allowed.allows("kkt_adapter:8000") and allowed.allows("pos.shop:8000")
    assert not allowed.allows("pos.shop:9000")
    assert HostAllowList(["*"]).allows("anything.example")


def test_a_bad_entry_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="pos.shop:http"):
        parse_host_list("pos.shop:http")


@pytest.mark.parametrize("origin, fetch_site", [("http://attacker.example", None), ("null", None),
                                                ("http://localhost:3000", None), (None, "cross-site")])
def test_a_page_from_another_origin_is_cross_site(origin: str | None, fetch_site: str | None) -> None:
    assert cross_site_reason(origin, fetch_site, "localhost:8000") is not None


@pytest.mark.parametrize("origin, fetch_site", [(None, None), ("http://localhost:8000", "same-origin"),
                                                ("http://LOCALHOST:8000", None), (None, "none")])
def test_the_service_itself_and_tools_without_a_browser_are_not(origin: str | None, fetch_site: str | None) -> None:
    assert cross_site_reason(origin, fetch_site, "localhost:8000") is None
