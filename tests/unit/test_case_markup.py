"""The case pages' Python-written markup escapes exactly as Jinja does."""

from __future__ import annotations

import pytest
from markupsafe import escape

from app.cases.markup import escape_text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain",
        "<script>alert('x')</script>",
        'a "quoted" & <b>bold</b> name',
        "&amp; already &lt;escaped&gt;",
        "香港 渠務署 <>&'\"",
        "\0\n\t",
    ],
)
def test_escape_text_matches_markupsafe(text):
    assert escape_text(text) == str(escape(text))


def test_escape_text_takes_every_character_markupsafe_escapes():
    every = "".join(chr(code) for code in range(0x250))
    assert escape_text(every) == str(escape(every))
