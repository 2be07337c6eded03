"""The signed session cookie, verified once per process for as long as a browser sends it.

A browser sends the same session cookie with every request until its session changes
(signing in, a flash message, a language choice). Flask checked its signature and decoded
it again each time: about 300 calls, a tenth of a light page's frame. This interface
remembers the cookies it verified, with what they hold and when they were signed, and
gives each request a copy of that; their age is checked on every use, as Flask does.
"""

from __future__ import annotations

import time

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

_REMEMBERED_MAX = 4096
_PLAIN = (str, int, float, bool, type(None))


class RememberingSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, remembering the cookies this process has verified.

    Only a cookie whose signature held is remembered, under its whole text (signature
    included) and the keys that verified it: another text, or another secret key, is
    verified as Flask does. A remembered cookie past ``PERMANENT_SESSION_LIFETIME`` (or
    signed in the future) is refused, as Flask refuses it. Only sessions of plain values
    are remembered: each request gets a new session of them, which it may change without
    changing what is remembered (a list, like the flash messages, could be changed in
    place).
    """

    def __init__(self) -> None:
        self._verified: dict[tuple, tuple[dict, int]] = {}

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not app.secret_key:
            return None  # as Flask: no secret key, no session
        text = request.cookies.get(self.get_cookie_name(app))
        if not text:
            return self.session_class()
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()), text)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        remembered = self._verified.get(key)
        if remembered is not None:
            data, signed_at = remembered
            if 0 <= int(time.time()) - signed_at <= max_age:
                return self.session_class(data)
            return self.session_class()
        try:
            data, signed = self.get_signing_serializer(app).loads(
                text, max_age=max_age, return_timestamp=True
            )
        except BadSignature:
            return self.session_class()
        if isinstance(data, dict) and all(isinstance(v, _PLAIN) for v in data.values()):
            if len(self._verified) >= _REMEMBERED_MAX:
                self._verified.clear()
            self._verified[key] = (dict(data), int(signed.timestamp()))
        return self.session_class(data)
