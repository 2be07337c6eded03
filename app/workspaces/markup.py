"""The workspace page's member rows and activity feed, written out in Python.

Drawn by Jinja, a lead's member row cost some six hundred Python calls (every value an
attribute lookup, an escape and a Markup object, every word and date a call through the
template context), and fifty feed lines another five thousand: most of the page. Here a
row is one ``str.format`` of a fixed pattern, with the page's words and links worked out
once, giving the same HTML the template gave.

Escaping is Jinja's: every value from a user or the database (names, departments, the
workspace's name, events' texts, refused values) goes through :func:`escape_text`, the
tested escape of the case pages; the catalog's words stay as they are, as the template's
``_()`` marks them safe. Only the finished rows are marked safe.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any, NamedTuple

from flask import url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from app.common import utcnow
from app.forms import form_field
from app.html import escape_text
from app.i18n import current_locale, current_timezone, format_day, format_moment

__all__ = [
    "DepartmentRows",
    "MemberRows",
    "csrf_field",
    "feed_items",
    "form_errors",
    "form_field",
    "state_badge",
    "when",
    "workspace_facts",
]

ROLES = ("lead", "member", "observer")


def _day_html(value: date) -> str:
    """A day as the ``day`` macro of ``workspaces/_format.html`` shows it."""
    return f'<time datetime="{value.isoformat()}">{escape_text(format_day(value))}</time>'


def _moment_html(value: datetime) -> str:
    """A moment as the ``when`` macro of ``workspaces/_format.html`` shows it."""
    return f'<time datetime="{value.isoformat()}Z">{escape_text(format_moment(value))}</time>'


class MemberWords(NamedTuple):
    """The member table's words in one language: catalog text, as ``_()`` gives it."""

    you: str
    deactivated: str
    no_expiry: str
    change: str
    save: str
    remove: str
    role_of: str  # keeps %(name)s
    ends_on_of: str  # keeps %(name)s
    remove_from: str  # keeps %(name)s and %(workspace)s
    end_of: str  # keeps %(last)s
    utc: str
    expired: str
    roles: dict[str, str]
    columns: tuple[str, ...]  # name, department, role, membership ends


@lru_cache(maxsize=8)
def member_words(locale: str) -> MemberWords:
    """The member table's words in ``locale``, the request's language.

    They depend on the language alone, and asking the catalog costs dozens of calls a
    word, so they are looked up once per language rather than once a page. A sentence
    naming the member keeps its placeholder, which each row fills in with ``%``.
    """
    return MemberWords(
        you=_("(you)"),
        deactivated=_("Deactivated"),
        no_expiry=_("No expiry"),
        change=_("Change"),
        save=_("Save"),
        remove=_("Remove from the workspace"),
        role_of=_("Role of %(name)s", name="%(name)s"),
        ends_on_of=_("Membership of %(name)s ends on (empty: no expiry)", name="%(name)s"),
        remove_from=_(
            "Remove %(name)s from %(workspace)s? They stop seeing it at once.",
            name="%(name)s",
            workspace="%(workspace)s",
        ),
        end_of=_("End of %(last)s", last="%(last)s"),
        utc=_("(UTC)"),
        expired=_("Expired"),
        roles={"lead": _("Lead"), "member": _("Member"), "observer": _("Observer (read only)")},
        columns=(_("Name"), _("Department"), _("Role"), _("Membership ends")),
    )


_MEMBER_ROW = (
    "\n      \n      <tr{expired}>\n"
    "        <td>{name}{you}{deactivated}</td>\n"
    "        <td>{department}</td>\n"
    "        <td>{role}</td>\n"
    "        <td>{ends}</td>\n"
    "        {manage}\n"
    "      </tr>\n      "
)

_MANAGE_CELL = (
    "\n        <td>\n          \n"
    '          <details class="row-edit"{open}>\n'
    '            <summary>{change}<span class="visually-hidden"> {name}</span></summary>\n'
    '            <form method="post" action="{members_url}/{user_id}" class="row-form"'
    " novalidate>\n"
    "              {csrf}\n              \n              \n"
    '              <label for="role-{user_id}">{role_of}</label>\n'
    '              <select id="role-{user_id}" name="role"{role_invalid}>\n'
    "                {options}\n"
    "              </select>\n"
    "              {role_error}\n              \n              \n"
    '              <label for="expires_on-{user_id}">{ends_on_of}</label>\n'
    '              <input id="expires_on-{user_id}" type="date" name="expires_on" '
    'value="{expiry_value}"{expiry_invalid}>\n'
    "              {expiry_error}\n"
    '              <button type="submit">{save}<span class="visually-hidden"> {name}</span>'
    "</button>\n"
    "            </form>\n"
    '            <form method="post" action="{members_url}/{user_id}/remove" class="inline"\n'
    '                  data-confirm="{remove_from}">\n'
    "              {csrf}\n"
    '              <button type="submit" class="link danger-link">{remove}'
    '<span class="visually-hidden"> {name}</span></button>\n'
    "            </form>\n"
    "          </details>\n"
    "        </td>\n        "
)


class MemberRows:
    """Writes a page of the member table (``MemberRow`` values); for a lead each row has
    its change and remove forms, the refused one (``failed`` for ``failed_member``) open
    with what was sent and why."""

    def __init__(
        self,
        *,
        workspace_id: int,
        workspace_name: str,
        viewer_id: int,
        can_manage: bool,
        failed: Any = None,
        failed_member: int | None = None,
    ) -> None:
        self.words = member_words(current_locale())
        self.now = utcnow()
        self.viewer_id = viewer_id
        self.can_manage = can_manage
        self.failed = failed
        self.failed_member = failed_member
        words = self.words
        self.you = f' <span class="muted">{words.you}</span>'
        self.deactivated = f' <span class="badge off">{words.deactivated}</span>'
        self.no_expiry = f'<span class="muted">{words.no_expiry}</span>'
        if can_manage:
            self.workspace_name = escape_text(workspace_name)
            self.members_url = escape_text(
                url_for("workspaces.add_member", workspace_id=workspace_id)
            )
            self.csrf = (
                f'<input type="hidden" name="csrf_token" value="{escape_text(generate_csrf())}">'
            )
            self.options = {role: self._options(role) for role in ROLES}

    def head(self) -> Markup:
        """The table's header row; a lead's has the column of the forms."""
        columns = self.words.columns + ((self.words.change,) if self.can_manage else ())
        return _header_row(columns)

    def _options(self, chosen: Any) -> str:
        """The role select's options, ``chosen`` selected (none, for a value not offered)."""
        roles = self.words.roles
        return "".join(
            f'<option value="{role}" {"selected" if chosen == role else ""}>{roles[role]}</option>'
            for role in ROLES
        )

    def html(self, members: Iterable[Any]) -> Markup:
        """The rows, one ``<tr>`` each, in order."""
        rows_html = "".join([self._row(member) for member in members])
        return Markup(rows_html)  # noqa: S704 (each row escapes every value it shows)

    def _row(self, member) -> str:
        name = escape_text(member.display_name)
        return _MEMBER_ROW.format(
            expired="" if member.is_current(self.now) else ' class="expired"',
            name=name,
            you=self.you if member.user_id == self.viewer_id else "",
            deactivated="" if member.active else self.deactivated,
            department=escape_text(member.department_name),
            role=self.words.roles.get(member.role) or escape_text(member.role),
            ends=self._ends(member) if member.expires_at else self.no_expiry,
            manage=self._manage(member, name) if self.can_manage else "",
        )

    def _ends(self, member) -> str:
        """When the membership ends, as the ``expiry`` macro said it."""
        expires_at = member.expires_at
        if expires_at.time() == time(0):
            last = self.words.end_of % {"last": _day_html(member.last_day)}
            ends = f'{last} <span class="muted">{self.words.utc}</span>'
        else:
            ends = _moment_html(expires_at)
        if not member.is_current(self.now):
            ends += f' <span class="badge off">{self.words.expired}</span>'
        return ends

    def _manage(self, member, name: str) -> str:
        words = self.words
        user_id = member.user_id
        failed = self.failed if self.failed_member == user_id else None
        if failed is None:
            options = self.options[member.role]
            role_errors = expiry_errors = ()
            last_day = member.last_day
            expiry_value = last_day.isoformat() if last_day else ""
        else:
            role = failed.role.data
            options = self.options[role] if role in self.options else self._options(role)
            role_errors, expiry_errors = failed.role.errors, failed.expires_on.errors
            sent = failed.expires_on.data
            expiry_value = escape_text(sent.isoformat()) if sent else ""
        return _MANAGE_CELL.format(
            open=" open" if failed is not None else "",
            change=words.change,
            name=name,
            members_url=self.members_url,
            user_id=user_id,
            csrf=self.csrf,
            role_of=words.role_of % {"name": name},
            role_invalid=_invalid(f"role-{user_id}") if role_errors else "",
            options=options,
            role_error=_error(f"role-{user_id}", role_errors) if role_errors else "",
            ends_on_of=words.ends_on_of % {"name": name},
            expiry_value=expiry_value,
            expiry_invalid=_invalid(f"expires_on-{user_id}") if expiry_errors else "",
            expiry_error=_error(f"expires_on-{user_id}", expiry_errors) if expiry_errors else "",
            save=words.save,
            remove_from=words.remove_from % {"name": name, "workspace": self.workspace_name},
            remove=words.remove,
        )


def _header_row(columns: Iterable[str]) -> Markup:
    """A table's header row of catalog words (safe, as the template's ``_()`` marks them)."""
    cells = "".join([f'<th scope="col">{column}</th>' for column in columns])
    return Markup(f"<tr>{cells}</tr>")  # noqa: S704


def _invalid(field_id: str) -> str:
    return f' aria-invalid="true" aria-describedby="{field_id}-error"'


def _error(field_id: str, errors) -> str:
    """A field's reasons, joined and escaped as Jinja's ``join`` filter does."""
    return f'<p class="error" id="{field_id}-error">{Markup(" ").join(errors)}</p>'


# The workspace's facts --------------------------------------------------------------------


class FactWords(NamedTuple):
    """The facts list's words in one language; ``at_by`` keeps %(at)s and %(name)s."""

    purpose: str
    owner: str
    ends_on: str
    created: str
    archived: str
    your_role: str
    not_member: str
    at_by: str
    states: dict[str, str]


@lru_cache(maxsize=8)
def fact_words(locale: str) -> FactWords:
    """The facts list's words in ``locale`` (see :func:`member_words`)."""
    return FactWords(
        purpose=_("Purpose"),
        owner=_("Owner"),
        ends_on=_("Ends on"),
        created=_("Created"),
        archived=_("Archived"),
        your_role=_("Your role"),
        not_member=_("Not a member"),
        at_by=_("%(at)s by %(name)s"),
        states={
            "archived": _badge("badge off", _("Archived")),
            "ended": _badge("badge warn", _("Ended")),
            "active": _badge("badge ok", _("Active")),
        },
    )


_FACTS = (
    '\n  <dt>{w.purpose}</dt><dd class="purpose">{purpose}</dd>\n'
    "  <dt>{w.owner}</dt><dd>{owner} ({region})</dd>\n"
    "  <dt>{w.ends_on}</dt><dd>{ends_on}</dd>\n"
    "  <dt>{w.created}</dt><dd>{created}</dd>\n"
    "  {archived}\n"
    "  <dt>{w.your_role}</dt><dd>{role}</dd>\n"
)


def workspace_facts(workspace, viewer_membership) -> Markup:
    """The facts list's entries: purpose, owner, end, who created (and archived) it when,
    and the reader's role in it."""
    locale = current_locale()
    words = fact_words(locale)
    archived = ""
    if workspace.archived_at:
        when = _at_by(words, workspace.archived_at, workspace.archived_by)
        archived = f"<dt>{words.archived}</dt><dd>{when}</dd>"
    if viewer_membership:
        roles = member_words(locale).roles
        role = roles.get(viewer_membership.role) or escape_text(viewer_membership.role)
    else:
        role = f'<span class="muted">{words.not_member}</span>'
    owner = workspace.owner_department
    facts = _FACTS.format(
        w=words,
        purpose=escape_text(workspace.purpose),
        owner=escape_text(owner.name),
        region=escape_text(owner.region),
        ends_on=_day_html(workspace.ends_on),
        created=_at_by(words, workspace.created_at, workspace.created_by),
        archived=archived,
        role=role,
    )
    return Markup(facts)  # noqa: S704 (every value in it is escaped)


def state_badge(workspace) -> Markup:
    """The workspace's state as the ``state_badge`` macro of ``workspaces/_format.html``
    shows it (after the same line break)."""
    badge = fact_words(current_locale()).states[workspace.state()]
    return Markup(f"\n{badge}")  # noqa: S704 (catalog words)


def when(value: datetime | None) -> Markup:
    """A moment as the ``when`` macro shows it, for the page's few one-off times."""
    return Markup(_when_html(value))  # noqa: S704 (escaped)


def csrf_field() -> Markup:
    """The ``csrf`` macro's hidden field, once for every form of the page."""
    return Markup(_csrf_input())  # noqa: S704 (escaped)


def form_errors(form) -> Markup:
    """A form's own refusals as the ``form_errors`` macro of ``_macros.html`` writes them."""
    if not form.form_errors:
        return Markup("\n\n")
    errors = "".join([f"<p>{escape(error)}</p>" for error in form.form_errors])
    html = f'\n\n<div class="form-errors" role="alert">\n  {errors}\n</div>\n\n'
    return Markup(html)  # noqa: S704 (each refusal escaped)


def _at_by(words: FactWords, at: datetime, person) -> str:
    """ "<when> by <name>", or only when if nobody is named."""
    if person is None:
        return _moment_html(at)
    return words.at_by % {"at": _moment_html(at), "name": escape_text(person.display_name)}


# The departments table ----------------------------------------------------------------------


class DepartmentWords(NamedTuple):
    """The departments table's words in one language; sentences keep their placeholders."""

    owner: str
    owns: str
    badges: dict[str, str]
    accepted_for: str
    declined_for: str
    accepted: str
    declined: str
    invited_by: str
    invited: str
    withdrawn_by: str
    withdrawn: str
    reason: str
    withdraw: str
    withdraw_of: str
    withdraw_confirm: str
    columns: tuple[str, ...]


def _badge(kind: str, word: str) -> str:
    return f'<span class="{kind}">{word}</span>'


@lru_cache(maxsize=8)
def department_words(locale: str) -> DepartmentWords:
    """The departments table's words in ``locale`` (see :func:`member_words`)."""
    return DepartmentWords(
        owner=_("(owner)"),
        owns=_("The department that owns the workspace."),
        badges={
            "accepted": _badge("badge ok", _("Taking part")),
            "invited": _badge("badge warn", _("Invited, awaiting answer")),
            "declined": _badge("badge off", _("Declined")),
            "withdrawn": _badge("badge", _("Invitation withdrawn")),
        },
        accepted_for=_("Accepted by %(by)s, on behalf of %(head)s, %(at)s."),
        declined_for=_("Declined by %(by)s, on behalf of %(head)s, %(at)s."),
        accepted=_("Accepted by %(by)s, %(at)s."),
        declined=_("Declined by %(by)s, %(at)s."),
        invited_by=_("Invited %(at)s by %(name)s."),
        invited=_("Invited %(at)s."),
        withdrawn_by=_("Withdrawn %(at)s by %(name)s."),
        withdrawn=_("Withdrawn %(at)s."),
        reason=_("Reason: %(reason)s"),
        withdraw=_("Withdraw invitation"),
        withdraw_of=_("(of %(department)s)"),
        withdraw_confirm=_("Withdraw the invitation of %(department)s?"),
        columns=(_("Department"), _("Region"), _("Jurisdiction"), _("Invitation"), _("Details")),
    )


_DEPARTMENT_ROW = (
    "\n      <tr>\n"
    "        <td>{name}{owner}</td>\n"
    "        <td>{region}</td>\n"
    "        <td>{jurisdiction}</td>\n"
    "        <td>{badge}</td>\n"
    "        <td>\n          {details}\n          {reason}\n          {withdraw}\n        </td>\n"
    "      </tr>\n      "
)

_WITHDRAW_FORM = (
    "\n"
    '          <form method="post" action="{url}" class="inline"\n'
    '                data-confirm="{confirm}">\n'
    "            {csrf}\n"
    '            <button type="submit" class="link">{withdraw}'
    '<span class="visually-hidden"> {of}</span></button>\n'
    "          </form>\n          "
)


class DepartmentRows:
    """Writes the departments table's rows (the workspace's participations, loaded with
    the people named on them): who decided what and when, and for a lead the form that
    withdraws a pending invitation."""

    def __init__(self, workspace, *, can_manage: bool) -> None:
        self.workspace = workspace
        self.words = department_words(current_locale())
        self.can_manage = can_manage
        self.owner = f' <span class="muted">{self.words.owner}</span>'
        if can_manage:
            self.csrf = _csrf_input()

    def head(self) -> Markup:
        """The table's header row."""
        return _header_row(self.words.columns)

    def html(self) -> Markup:
        """The rows, one ``<tr>`` each, in the workspace's order."""
        rows_html = "".join([self._row(p) for p in self.workspace.participations])
        return Markup(rows_html)  # noqa: S704 (each row escapes every value it shows)

    def _row(self, participation) -> str:
        department = participation.department
        is_owner = participation.department_id == self.workspace.owner_department_id
        name = escape_text(department.name)
        reason = participation.decline_reason
        return _DEPARTMENT_ROW.format(
            name=name,
            owner=self.owner if is_owner else "",
            region=escape_text(department.region.name),
            jurisdiction=escape_text(department.region.jurisdiction),
            badge=self.words.badges.get(participation.status) or self.words.badges["withdrawn"],
            details=f"\n          {self.words.owns}\n          "
            if is_owner
            else self._details(participation),
            reason=f'<p class="reason">{self.words.reason % {"reason": escape_text(reason)}}</p>'
            if reason
            else "",
            withdraw=self._withdraw_form(participation, name)
            if self.can_manage and participation.is_pending
            else "",
        )

    def _details(self, participation) -> str:
        """Who answered the invitation, or who sent or withdrew it, and when."""
        words = self.words
        status = participation.status
        if status in ("accepted", "declined") and participation.responded_by:
            values = {
                "by": escape_text(participation.responded_by.display_name),
                "at": _when_html(participation.responded_at),
            }
            accepted = status == "accepted"
            head = participation.responded_on_behalf_of
            if head:
                values["head"] = escape_text(head.display_name)
                pattern = words.accepted_for if accepted else words.declined_for
                sentence = pattern % values
                return f"\n          \n          \n          {sentence}\n          \n          "
            pattern = words.accepted if accepted else words.declined
            return f"\n          \n          {pattern % values}\n          "
        if status == "invited":
            sentence = self._by(participation.invited_at, participation.invited_by, "invited")
        elif status == "withdrawn":
            sentence = self._by(participation.withdrawn_at, participation.withdrawn_by, "withdrawn")
        else:
            return ""
        return f"\n          {sentence}\n          "

    def _by(self, at, person, kind: str) -> str:
        """ "Invited/Withdrawn <when> by <name>.", or without the name when nobody is named."""
        values = {"at": _when_html(at)}
        if person:
            values["name"] = escape_text(person.display_name)
            return getattr(self.words, f"{kind}_by") % values
        return getattr(self.words, kind) % values

    def _withdraw_form(self, participation, name: str) -> str:
        url = url_for(
            "workspaces.withdraw",
            workspace_id=self.workspace.id,
            department_id=participation.department_id,
        )
        return _WITHDRAW_FORM.format(
            url=escape_text(url),
            confirm=self.words.withdraw_confirm % {"department": name},
            csrf=self.csrf,
            withdraw=self.words.withdraw,
            of=self.words.withdraw_of % {"department": name},
        )


def _when_html(value: datetime | None) -> str:
    """A moment as the ``when`` macro shows it, a dash when there is none."""
    return _moment_html(value) if value else '<span class="muted">—</span>'


def _csrf_input() -> str:
    """The ``csrf`` macro's hidden field, with this session's token."""
    return f'<input type="hidden" name="csrf_token" value="{escape_text(generate_csrf())}">'


# The activity feed -------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _feed_time(value: datetime, locale: str, zone: str) -> str:
    """An event's time, in ``locale`` and ``zone`` (the request's).

    Events never change and a feed shows the same fifty to everyone following it, so
    their times are formatted once, not once a view.
    """
    return f'<time datetime="{value.isoformat()}Z">{escape_text(format_moment(value))}</time>'


def _event_text(payload: dict, locale: str) -> str:
    """What :func:`app.i18n.live_text` gives, the reader's language found once a feed."""
    return (payload.get("texts") or {}).get(locale) or payload.get("text") or ""


_FEED_ITEM = '\n      <li data-seq="{seq}">{time} <span class="text">{text}</span></li>\n      '


def feed_items(events: Iterable[Any]) -> Markup:
    """The feed's lines, newest first: when, and the event's text in the reader's language."""
    locale, zone = current_locale(), current_timezone()
    items_html = "".join(
        [
            _FEED_ITEM.format(
                seq=event.seq,
                time=_feed_time(event.created_at, locale, zone),
                text=escape_text(_event_text(event.payload, locale)),
            )
            for event in events
        ]
    )
    return Markup(items_html)  # noqa: S704 (every value in it is escaped)
