"""JSON that is already encoded, written into an answer as it is.

A catch-up of 500 events read each event's payload from the database, decoded it into
Python objects and encoded it again for the answer: most of the request's work. Each
payload is JSON text as stored, so the list can be written as text instead
(:func:`app.realtime.encoded_messages_after`); :class:`JsonText` carries such text through
the service and the schema, and :class:`SplicingJSONProvider` (the app's ``app.json``)
writes it into the answer unchanged. Everything else is encoded as Flask encodes it.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from flask.json.provider import DefaultJSONProvider


class JsonText:
    """A JSON value as text, valid JSON by construction (stored JSON, written as it is)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"JsonText({self.text[:40]!r})"

    def value(self) -> Any:
        """The decoded value, for code that needs the objects rather than the text."""
        return json.loads(self.text)


_MARKER = re.compile(r'"\\u0000([0-9a-f]{16}):(\d+)\\u0000"')
"""A marker as the encoder writes it (its NUL characters escaped), with its call's key and index."""


class SplicingJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, writing each :class:`JsonText` as its text.

    The encoder stands a marker in for each piece (a string with a random key of this
    call, so no other text in the answer can be taken for one), then the markers are
    replaced by the pieces in one pass. The pattern finding markers is compiled once and
    takes any key; only this call's key is replaced (compiling a pattern per answer cost
    more calls than the rest of writing it).
    """

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        pieces: list[str] = []
        key = secrets.token_hex(8)
        fallback = kwargs.pop("default", self.default)

        def default(value: Any) -> Any:
            if isinstance(value, JsonText):
                pieces.append(value.text)
                return f"\0{key}:{len(pieces) - 1}\0"
            return fallback(value)

        text = super().dumps(obj, default=default, **kwargs)
        if not pieces:
            return text

        def piece(found: re.Match) -> str:
            if found.group(1) != key:
                return found.group(0)
            return pieces[int(found.group(2))]

        return _MARKER.sub(piece, text)
