"""Data-sharing requests: the operations that views, the API and the command line call.

The work lives in modules along the domain's seams: :mod:`~app.sharing.access` (loading
for a viewer or a transition, the scope's rules, error codes), :mod:`~app.sharing.filing`
(the requester's side and linking a dataset), :mod:`~app.sharing.decisions` (endorsement,
approval, rejection, changes), :mod:`~app.sharing.browse` (queues, counts, the request
page) and :mod:`~app.sharing.timeline` (what each change leaves behind). Every change is
one action (:mod:`app.actions`).
"""

from app.sharing.access import (
    MAX_DURATION_DAYS,
    NOTE_MAX,
    TEXT_MAX,
    TITLE_MAX,
    RequestError,
    get_request,
    request_path,
    request_stream,
)
from app.sharing.browse import (
    BOXES,
    STATUSES,
    FilingOptions,
    RequestCounts,
    RequestOverview,
    filing_options,
    list_requests,
    request_counts,
    request_events,
    request_overview,
    request_view,
    view_of,
)
from app.sharing.decisions import (
    approve_request,
    endorse_request,
    reject_request,
    request_changes,
)
from app.sharing.filing import (
    comment_on_request,
    file_request,
    link_dataset,
    submit_request,
    update_request,
    withdraw_request,
)

__all__ = [
    "BOXES",
    "MAX_DURATION_DAYS",
    "NOTE_MAX",
    "STATUSES",
    "TEXT_MAX",
    "TITLE_MAX",
    "FilingOptions",
    "RequestCounts",
    "RequestError",
    "RequestOverview",
    "approve_request",
    "comment_on_request",
    "endorse_request",
    "file_request",
    "filing_options",
    "get_request",
    "link_dataset",
    "list_requests",
    "reject_request",
    "request_changes",
    "request_counts",
    "request_events",
    "request_overview",
    "request_path",
    "request_stream",
    "request_view",
    "view_of",
    "submit_request",
    "update_request",
    "withdraw_request",
]
