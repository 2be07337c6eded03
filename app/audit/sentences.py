"""Audit entries in words: each domain says how its actions read, and where its objects live.

The log is core and knows no domain, so domains register, in their ``init_app``::

    register_audit_sentences({
        "workspace.created": _l("%(actor)s created the workspace %(name)s"),
    })
    register_object_link("workspace", lambda entry: f"/workspaces/{entry.object_id}")

A sentence may use ``%(actor)s``, ``%(object)s`` (the object's type and id) and any key of
the entry's detail; a key an entry lacks reads as a dash, so an old entry never breaks the
page. An action with no sentence reads as its code and object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.html import per_language

_sentences: dict[str, Any] = {
    "audit.verified": _l("%(actor)s verified the audit chain (%(checked)s entries)"),
}
_links: dict[str, Callable[[Any], str | None]] = {}

OBJECT_NAMES = {
    "user": _l("user"),
    "region": _l("region"),
    "department": _l("department"),
    "workspace": _l("workspace"),
    "workspace_department": _l("workspace participation"),
    "membership": _l("membership"),
    "token": _l("API token"),
    "delegation": _l("delegation"),
    "notification": _l("notifications"),
    "audit": _l("audit log"),
}


def register_audit_sentences(sentences: dict[str, Any]) -> None:
    """Name the (lazy, translatable) sentence each action of a domain reads as."""
    _sentences.update(sentences)


def register_object_link(object_type: str, link: Callable[[Any], str | None]) -> None:
    """Name the page an entry's object of ``object_type`` is shown on (a path, or None)."""
    _links[object_type] = link


class _Params(dict):
    """Sentence parameters where a missing key reads as a dash instead of failing."""

    def __missing__(self, key: str) -> str:
        return "—"


def object_label(entry: Any) -> str:
    """The entry's object in words: "workspace #12"."""
    return EntryWords().object(entry)


def describe(entry: Any) -> str:
    """The entry as a sentence in the reader's language."""
    return EntryWords().sentence(entry)


@per_language
def _entry_words() -> tuple[str, str, str]:
    return _("the system"), _("%(actor)s: %(action)s (%(object)s)"), _("workspace #%(id)s")


class EntryWords:
    """Entries in the reader's language, each text translated once however many entries use it.

    A page of fifty entries translated the same few texts (the fallback sentence, "the
    system", each object's name and each action's sentence) again for every entry; make
    one of these per page or export, while the language stays the same.
    """

    def __init__(self) -> None:
        self._system, self._fallback, self._workspace = _entry_words()
        self._names: dict[str, str] = {}
        self._sentences: dict[str, str | None] = {}

    def object(self, entry: Any) -> str:
        """The entry's object in words: "workspace #12"."""
        name = self._names.get(entry.object_type)
        if name is None:
            name = str(OBJECT_NAMES.get(entry.object_type, entry.object_type))
            self._names[entry.object_type] = name
        return f"{name} #{entry.object_id}" if entry.object_id else name

    def sentence(self, entry: Any) -> str:
        """The entry as a sentence; a key its sentence names but its detail lacks reads "—"."""
        params = _Params(
            {key: _plain(value) for key, value in (entry.detail or {}).items()},
            actor=entry.actor_name or self._system,
            object=self.object(entry),
            workspace=self._workspace % {"id": entry.workspace_id} if entry.workspace_id else "—",
        )
        sentence = self._sentence_of(entry.action)
        if sentence is None:
            return self._fallback % {**params, "action": entry.action}
        try:
            return sentence % params
        except (TypeError, ValueError):
            return self._fallback % {**params, "action": entry.action}

    def _sentence_of(self, action: str) -> str | None:
        if action not in self._sentences:
            sentence = _sentences.get(action)
            self._sentences[action] = None if sentence is None else str(sentence)
        return self._sentences[action]


def object_link(entry: Any) -> str | None:
    """The path of the page showing the entry's object, when its domain names one."""
    link = _links.get(entry.object_type)
    return link(entry) if link is not None and entry.object_id else None


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(sorted(str(key) for key in value))
    return str(value)
