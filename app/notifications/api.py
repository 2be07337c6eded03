"""REST API of the notifications domain: the caller's own notifications and their stream."""

from __future__ import annotations

from app.api import api_user, endpoint
from app.api.schemas import EventBatchSchema, EventsQuerySchema
from app.notifications import schemas, service

TAG = "Notifications"


@endpoint(
    "/notifications",
    summary="Your notifications, newest first (?unread=true for unread ones only), paged by cursor",
    tag=TAG,
    query=schemas.NotificationListQuerySchema(),
    response=schemas.NotificationSchema(),
    paginated="keyset",
    plain_caller=True,
)
def list_notifications(query: dict):
    """Paged by ``cursor`` (from ``next_cursor``/``prev_cursor``) at the same cost at any
    depth; ``page`` still works. A malformed cursor is a 400."""
    return service.list_notification_answers(api_user(), **query)


@endpoint(
    "/notifications/read",
    "POST",
    summary='Mark notifications read: {"ids": [...]} or {"all": true}',
    tag=TAG,
    body=schemas.MarkReadSchema(),
    response=schemas.ReadResultSchema(),
    errors=(404,),
)
def mark_notifications_read(body: dict):
    if body.get("all"):
        return service.mark_all_read(api_user())
    return service.mark_read(api_user(), body["ids"])


@endpoint(
    "/notifications/events",
    summary="Your notification stream after a sequence number, for catching up",
    tag=TAG,
    query=EventsQuerySchema(),
    response=EventBatchSchema(),
)
def notification_events(query: dict):
    return service.user_events(api_user(), query["after"])
