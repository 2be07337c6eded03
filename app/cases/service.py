"""Cases: the operations that views, the API and the command line call.

The work lives in modules along the domain's seams: :mod:`~app.cases.access` (loading
a case for a viewer or a change, shared checks, error codes), :mod:`~app.cases.lifecycle`
(create, edit, move, overdue reminders), :mod:`~app.cases.discussion` (comments,
attachments, links) and :mod:`~app.cases.browse` (lists, board, the case page, catch-up).
Every change is one action (:mod:`app.actions`).
"""

from app.cases.access import (
    COMMENT_MAX,
    DESCRIPTION_MAX,
    TITLE_MAX,
    CaseError,
    case_path,
    case_stream,
)
from app.cases.browse import (
    Board,
    CaseFilters,
    CasePage,
    ListOptions,
    assignable_members,
    blank_card,
    board,
    board_events,
    case_events,
    case_page,
    get_case,
    list_cases,
    list_options,
    my_cases,
)
from app.cases.discussion import (
    ALLOWED_DESCRIPTION,
    Download,
    add_attachment,
    add_comment,
    add_link,
    attachment_for_download,
    max_bytes,
)
from app.cases.lifecycle import (
    STATUS_LABELS,
    create_case,
    ensure_may_create,
    remind_overdue,
    update_case,
)

__all__ = [
    "ALLOWED_DESCRIPTION",
    "COMMENT_MAX",
    "DESCRIPTION_MAX",
    "STATUS_LABELS",
    "TITLE_MAX",
    "Board",
    "CaseError",
    "CaseFilters",
    "CasePage",
    "Download",
    "ListOptions",
    "add_attachment",
    "add_comment",
    "add_link",
    "assignable_members",
    "attachment_for_download",
    "blank_card",
    "board",
    "board_events",
    "case_events",
    "case_page",
    "case_path",
    "case_stream",
    "create_case",
    "ensure_may_create",
    "get_case",
    "list_cases",
    "list_options",
    "max_bytes",
    "my_cases",
    "remind_overdue",
    "update_case",
]
