"""Real-time layer shared by every domain: streams of stored events, and who follows them.

:mod:`app.realtime.streams` stores an event in the caller's transaction and emits it
after commit; :mod:`app.realtime.rooms` authenticates sockets, lets them follow the
streams that domains' registered checks allow, and ends access again. This module is
the face the rest of the app uses.
"""

from app.realtime.presence import track_presence, viewers
from app.realtime.rooms import (
    disconnect_user_sockets as disconnect_user,
)
from app.realtime.rooms import (
    evict_user_from_room as evict_from_room,
)
from app.realtime.rooms import (
    recheck_users,
    register_identity,
    stream_kind,
)
from app.realtime.streams import (
    MAX_CATCH_UP,
    after_commit,
    catch_up,
    emit_stored,
    encoded_messages_after,
    events_after,
    last_seq,
    latest_events,
    messages_after,
    publish,
    publishing_together,
    stream_name,
)

__all__ = [
    "MAX_CATCH_UP",
    "after_commit",
    "catch_up",
    "disconnect_user",
    "emit_stored",
    "encoded_messages_after",
    "events_after",
    "evict_from_room",
    "last_seq",
    "latest_events",
    "messages_after",
    "publish",
    "publishing_together",
    "recheck_users",
    "register_identity",
    "stream_kind",
    "stream_name",
    "track_presence",
    "viewers",
]
