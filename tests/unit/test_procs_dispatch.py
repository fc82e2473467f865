"""Handing out sites to the scan's processes: one host, one process at a time."""

from __future__ import annotations

from siteaudit.models import Organization
from siteaudit.procs import LOOKAHEAD_PER_CHILD, _Dispatch


def _org(org_id: str, url: str) -> Organization:
    return Organization(id=org_id, name=org_id, url=url, country="RU")


def test_sites_of_a_host_go_to_the_process_that_crawls_it() -> None:
    orgs = [
        _org("a", "https://portal.ru/gp1/"),
        _org("b", "https://www.portal.ru:8443/gp2/"),  # the same host for politeness
        _org("c", "https://other.ru/"),
        _org("d", "https://PORTAL.ru/gp3/"),
    ]
    dispatch = _Dispatch(iter(orgs), 2)
    assert dispatch.next_for(0).id == "a"  # type: ignore[union-attr]
    assert dispatch.next_for(1).id == "c"  # type: ignore[union-attr]  # b waits for child 0
    assert [o.id for o in dispatch.waiting[0]] == ["b"]
    assert dispatch.next_for(1) is None  # d waits for child 0 too; the registry is done
    assert [o.id for o in dispatch.waiting[0]] == ["b", "d"]
    assert not dispatch.idle
    assert dispatch.next_for(0).id == "b"  # type: ignore[union-attr]
    assert dispatch.next_for(0).id == "d"  # type: ignore[union-attr]
    assert dispatch.idle


def test_a_host_is_free_again_once_its_sites_are_finished() -> None:
    a, b = _org("a", "https://portal.ru/1/"), _org("b", "https://portal.ru/2/")
    dispatch = _Dispatch(iter([a]), 2)
    assert dispatch.next_for(0) is a
    dispatch.finished(a)
    assert dispatch.hosts == {}
    dispatch = _Dispatch(iter([a, b]), 2)
    assert dispatch.next_for(0) is a
    assert dispatch.next_for(1) is None  # b is child 0's while a is in flight
    dispatch.finished(a)
    assert dispatch.hosts == {"portal.ru": [0, 1]}  # b still waits for child 0


def test_look_ahead_is_bounded() -> None:
    """With every site on one busy host, the registry is read only so far ahead."""
    orgs = (_org(str(i), f"https://portal.ru/{i}/") for i in range(10_000))
    dispatch = _Dispatch(orgs, 2)
    assert dispatch.next_for(0) is not None
    assert dispatch.next_for(1) is None
    assert len(dispatch.waiting[0]) == LOOKAHEAD_PER_CHILD * 2
    assert not dispatch.exhausted
