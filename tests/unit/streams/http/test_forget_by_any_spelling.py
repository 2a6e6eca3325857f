"""Forgetting a customer by the id a marketer types."""

from __future__ import annotations

from streams.http.erasure import forget
from streams.settings import Settings


class Store:
    """Records which ids were erased; each had one key."""

    def __init__(self) -> None:
        self.forgotten: list[tuple[str, bool]] = []

    async def forget(self, customer_id: str, *, partitions: int, suppress: bool) -> int:
        self.forgotten.append((customer_id, suppress))
        return 1


async def test_an_e_mail_id_typed_in_any_case_erases_the_lower_case_customer_and_the_id_as_given():
    """The suppression marker must be the kept id (live e-mail ids are lower case) to stop later events."""
    store, tombstones = Store(), []

    async def tombstone(topic: str, key: str) -> None:
        tombstones.append(key)

    erasure = await forget(store, Settings(), "Ann@Shop.com", suppress=True,  # type: ignore[arg-type]
                           publish_tombstone=tombstone)
    assert store.forgotten == [("ann@shop.com", True), ("Ann@Shop.com", True)]
    assert tombstones == ["ann@shop.com", "Ann@Shop.com"]
    assert (erasure.customer_id, erasure.deleted_keys) == ("ann@shop.com", 2)
    other = Store()
    await forget(other, Settings(), "A-17", suppress=False, publish_tombstone=tombstone)  # type: ignore[arg-type]
    assert other.forgotten == [("A-17", False)]
