"""Data-sharing requests: one department asks another for data, and heads and dpos decide."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the request rules, the ``request`` stream kind, the error codes, the counts
    that the navigation and the home page show, and the catalog coverage's unmet demand."""
    from flask_login import current_user

    from app.catalog.coverage import register_unmet_demand
    from app.errors import register_error_codes
    from app.sharing import policy, streams  # noqa: F401  (register on import)
    from app.sharing.access import RequestError
    from app.sharing.browse import register_request_count_figures, request_counts, unmet_demand

    register_request_count_figures()
    register_error_codes("sharing", RequestError)
    register_unmet_demand(unmet_demand)

    def counts_for_viewer():
        """The signed-in viewer's request counts, computed once per page."""
        from flask import g

        if "request_counts" not in g:
            # The user itself: through the proxy, each attribute read is a look-up.
            g.request_counts = request_counts(current_user._get_current_object())
        return g.request_counts

    app.jinja_env.globals["request_counts"] = counts_for_viewer
