"""Every string a person reads is marked for translation, and both Chinese catalogs are complete.

Two checks keep it so as pages are added:

- the code's marked strings are extracted with Babel, exactly as ``make translations`` does,
  and each must be translated (not empty, not fuzzy, same placeholders) in zh_Hant and zh_Hans;
- a scanner reads every template for text and labelling attributes that are not inside a
  Jinja expression or a ``{% trans %}`` block, i.e. text that no catalog can ever translate.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

pytestmark = pytest.mark.one_pass("sqlite")

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "app" / "templates"
TRANSLATIONS = ROOT / "app" / "translations"
LOCALES = ("zh_Hant", "zh_Hans")
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}


def extracted_messages() -> dict:
    """msgid (a string, or a (singular, plural) pair) -> first place it is used."""
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message if isinstance(message, str) else tuple(message[:2])
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def catalog(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


def test_extraction_finds_the_strings_of_python_code_and_templates():
    messages = extracted_messages()
    assert "Sign in to Bridgework" in messages  # a template
    assert "Choose a colleague to be your deputy." in messages  # lazy_gettext in a form
    assert "You are signed out." in messages  # gettext in a view


@pytest.mark.parametrize("locale", LOCALES)
def test_every_marked_string_is_translated_in_the_catalog(locale):
    translations = catalog(locale)
    problems = []
    for msgid, where in sorted(extracted_messages().items(), key=lambda item: item[1]):
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = translations.get(key)
        strings = entry and (entry.string if isinstance(entry.string, tuple) else (entry.string,))
        if entry is None:
            problems.append(f"{where}: missing: {key!r}")
        elif entry.fuzzy:
            problems.append(f"{where}: fuzzy: {key!r}")
        elif not all(strings):
            problems.append(f"{where}: untranslated: {key!r}")
    assert not problems, (
        f"{len(problems)} strings are not translated in {locale}; run `make translations` "
        "and fill in app/translations/"
        + locale
        + "/LC_MESSAGES/messages.po:\n"
        + "\n".join(problems)
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_every_placeholder_of_the_english(locale):
    problems = [
        f"{message.id!r}: {error}"
        for message, errors in catalog(locale).check()
        for error in errors
    ]
    assert not problems, "\n".join(problems)


# The template scanner -----------------------------------------------------------------------

# Jinja that yields no text of its own; a trans block's text is marked by being in it.
_MARKED = re.compile(
    r"\{#.*?#\}|\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}|\{\{.*?\}\}|\{%.*?%\}", re.S
)
# String literals inside Jinja, and those that read as words ("All workspaces"), not names.
_JINJA_STRING = re.compile(r"'[^']*'|\"[^\"]*\"")
_PHRASE = re.compile(r"[^\W\d_]+\s+[^\W\d_]")
_MARKED_CALL = re.compile(r"""(?:\b_|gettext|ngettext)\(\s*$""")
_LETTERS = re.compile(r"[^\W\d_]")
LABEL_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "data-confirm"}
NOT_LANGUAGE = {"code", "script", "style"}


class _TextFinder(HTMLParser):
    """Collects text nodes and labelling attributes that contain letters."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in NOT_LANGUAGE:
            self._skipping.append(tag)
        for name, value in attrs:
            shown = name in LABEL_ATTRIBUTES or (
                name == "value" and dict(attrs).get("type") in ("submit", "button")
            )
            if shown and value and _LETTERS.search(value):
                self.found.append(f'{name}="{value.strip()}"')

    def handle_endtag(self, tag):
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data):
        if not self._skipping and _LETTERS.search(data):
            self.found.append(" ".join(data.split()))


def unmarked_text(source: str) -> list[str]:
    """User-visible text in a template's source that no translation can reach."""
    phrases = []
    for tag in re.finditer(r"\{\{.*?\}\}|\{%.*?%\}", source, re.S):
        for literal in _JINJA_STRING.finditer(tag.group(0)):
            marked = _MARKED_CALL.search(tag.group(0)[: literal.start()])
            if _PHRASE.search(literal.group(0)) and not marked:
                phrases.append(literal.group(0))
    finder = _TextFinder()
    finder.feed(_MARKED.sub(" ", source))
    finder.close()
    return phrases + finder.found


def test_scanner_reports_unmarked_text_and_attributes_and_accepts_marked_ones():
    source = """
    {# a comment #}<h1>Audit log</h1><p>{{ _("Marked") }}</p>
    <button aria-label="Close" title="{{ _('Marked') }}">{{ name }}</button>
    {% trans n=1 %}Marked {{ n }} <em>too</em>{% endtrans %}
    {% set heading = 'All workspaces' if x else _('Marked words') %}
    <code>bw_{{ prefix }}</code><input type="submit" value="Send">
    """
    assert unmarked_text(source) == [
        "'All workspaces'",
        "Audit log",
        'aria-label="Close"',
        'value="Send"',
    ]


def _templates():
    return sorted(path for path in TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize(
    "template", _templates(), ids=lambda path: str(path.relative_to(TEMPLATES))
)
def test_template_has_no_text_outside_translation(template):
    found = unmarked_text(template.read_text(encoding="utf-8"))
    assert not found, (
        f"{template.relative_to(ROOT)} shows text that is not marked for translation; wrap it "
        f"in {{{{ _('...') }}}} or {{% trans %}}:\n" + "\n".join(found)
    )


# Messages that services raise -----------------------------------------------------------------

REFUSALS = {"Invalid", "Conflict", "NotFound", "Forbidden", "Unauthorized", "RateLimited"}


def unmarked_service_messages(source: str, filename: str = "<source>") -> list[str]:
    """Refusal messages and field messages written as bare strings instead of ``_()``.

    Looks at the first argument of ``raise Invalid(...)`` and its kin, at the message
    argument of ``require(actor, action, obj, message)``, and at the lists assigned to
    ``fields[...]``: each must be a call (``_()``, ``_l()``, a helper), a name or an
    expression, never a string literal or f-string.
    """
    import ast

    found = []

    def literal(node) -> bool:
        return isinstance(node, ast.JoinedStr) or (
            isinstance(node, ast.Constant) and isinstance(node.value, str)
        )

    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in REFUSALS and node.args and literal(node.args[0]):
                found.append(f"{filename}:{node.lineno}")
            if node.func.id == "require" and len(node.args) >= 4 and literal(node.args[3]):
                found.append(f"{filename}:{node.lineno}")
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Subscript)
            and getattr(node.targets[0].value, "id", None) == "fields"
            and isinstance(node.value, ast.List)
            and any(literal(item) for item in node.value.elts)
        ):
            found.append(f"{filename}:{node.lineno}")
    return found


def test_service_message_scanner_tells_marked_from_bare_strings():
    bare = 'raise Invalid("Nope.")\nfields["name"] = [f"Too long: {n}"]\nrequire(a, "x", o, "No.")'
    marked = (
        'raise Invalid(_("Nope."))\nfields["name"] = [_("Too long")]\nrequire(a, "x", o, _("No."))'
    )
    assert len(unmarked_service_messages(bare)) == 3
    assert unmarked_service_messages(marked) == []


def test_every_service_message_is_marked_for_translation():
    problems = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        name = str(path.relative_to(ROOT))
        problems += unmarked_service_messages(path.read_text(), name)
    assert not problems, "Service messages not marked with _() or _l():\n" + "\n".join(problems)
