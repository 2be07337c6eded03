"""JSON that is already encoded, written into an answer as it is.

A catch-up of 500 events read each event's payload from the database, decoded it into
Python objects and encoded it again for the answer: most of the request's work. The
database can build the whole list as JSON text instead; :class:`JsonText` carries such
text through the service and the schema, and :class:`SplicingJSONProvider` (the app's
``app.json``) writes it into the answer unchanged. Everything else is encoded as Flask
encodes it.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from flask.json.provider import DefaultJSONProvider


class JsonText:
    """A JSON value as text, valid JSON by construction (the database wrote it)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"JsonText({self.text[:40]!r})"

    def value(self) -> Any:
        """The decoded value, for code that needs the objects rather than the text."""
        return json.loads(self.text)


class SplicingJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, writing each :class:`JsonText` as its text.

    The encoder stands a marker in for each piece (a string with a random key of this
    call, so no other text in the answer can be taken for one), then the markers are
    replaced by the pieces in one pass.
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
        marker = re.compile(rf'"\\u0000{key}:(\d+)\\u0000"')
        return marker.sub(lambda found: pieces[int(found.group(1))], text)
