"""The statement that loads a page's signed-in user with the header's figures stays short
enough for psycopg to remember how it converted it.

psycopg converts a statement's ``%(name)s`` placeholders into PostgreSQL's on every
execution unless the statement is at most ``MAX_CACHED_STATEMENT_LENGTH`` bytes with at
most ``MAX_CACHED_STATEMENT_PARAMS`` parameters; past either, every signed-in page paid
about 750 Python calls to convert it again. A figure registered with
``register_page_figure`` lengthens it for every page.
"""

from __future__ import annotations

from datetime import date

from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from app.accounts import identity


def _header_statement_for_postgresql(app):
    with app.app_context():
        figures, rows = dict(identity._PAGE_FIGURES), dict(identity._PAGE_FIGURE_ROWS)
        statement = identity._session_statement(figures, rows).params(
            me=1, key_hash="0" * 64, today=date(2026, 1, 1)
        )
        compiled = statement.compile(dialect=PGDialect_psycopg())
        return compiled.construct_expanded_state()


def test_the_header_statement_is_short_enough_for_psycopg_to_remember(app):
    compiled = _header_statement_for_postgresql(app)
    assert identity._PAGE_FIGURES and identity._PAGE_FIGURE_ROWS
    assert len(compiled.statement.encode()) <= MAX_CACHED_STATEMENT_LENGTH
    assert len(compiled.parameters) <= MAX_CACHED_STATEMENT_PARAMS
