"""The home page's cards: each domain says what waits for the signed-in person.

A domain registers a provider at start-up (in its ``init_app``)::

    from app.main.cards import Card, CardItem, register_card

    register_card("invitations", invitations_card, order=10)

A provider takes the user and returns a :class:`Card`, or ``None`` when it has nothing
to show them (a role it does not concern). The home page asks every provider in order;
the core never imports a domain, and a new domain adds its card without touching
``app/main``. Providers run one or two queries each, whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CardItem:
    """One line of a card: what it is, where it leads, and a detail in smaller type."""

    text: str
    href: str | None = None
    meta: str | None = None
    # A live stream the line follows while the page is open: any event on it refreshes the
    # cards (its last event's number, and where to catch up on the ones missed).
    stream: str | None = None
    last_seq: int = 0
    catch_up_url: str | None = None


@dataclass
class Card:
    """What a card shows: a title, a count (``None`` for none), lines and a way to all."""

    key: str
    title: str
    items: list[CardItem] = field(default_factory=list)
    count: int | None = None
    empty: str = ""
    more_href: str | None = None
    more_label: str | None = None
    # Live event types (prefixes) after which the card may have changed.
    refresh_on: tuple[str, ...] = ()


CardProvider = Callable[[Any], Card | None]
_providers: list[tuple[int, str, CardProvider]] = []


def register_card(key: str, provider: CardProvider, *, order: int = 100) -> None:
    """Add a card to the home page; a lower ``order`` comes first.

    Registering the same provider again (another app made in the same process) is a no-op.

    Raises:
        RuntimeError: another provider has this key already.
    """
    for _order, existing, registered in _providers:
        if existing == key:
            if registered is provider:
                return
            raise RuntimeError(f"home card {key!r} registered twice")
    _providers.append((order, key, provider))
    _providers.sort(key=lambda entry: (entry[0], entry[1]))


def cards_for(user: Any) -> list[Card]:
    """Every registered card that has something for ``user``, in order."""
    cards = []
    for _order, _key, provider in _providers:
        card = provider(user)
        if card is not None:
            cards.append(card)
    return cards
