"""Set up the benchmark's workspace in a migrated, seeded database, through the services.

Creates ``--members`` officers of the Drainage Services Department, a workspace led by
the demo officer ``dsd.officer`` with all of them as members, and an API token for each;
prints one JSON line: ``{"workspace_id", "member_tokens", "lead_token"}``. The database
is named by ``DATABASE_URL`` (and ``INSTANCE_DIR``), as for the app itself.
"""

from __future__ import annotations

import argparse
import json
import secrets
from datetime import timedelta

from sqlalchemy import select


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50)
    args = parser.parse_args()

    from app import create_app
    from app.accounts import service as accounts
    from app.accounts.models import User
    from app.common import utcnow
    from app.extensions import db
    from app.workspaces import service as workspaces

    app = create_app()
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        lead = db.session.scalar(select(User).where(User.username == "dsd.officer"))
        workspace = workspaces.create_workspace(
            lead,
            name="Fan-out benchmark",
            purpose="Measures how fast workspace activity reaches every open browser.",
            ends_on=(utcnow() + timedelta(days=365)).date(),
        )
        workspace_id = workspace.id
        password = secrets.token_urlsafe(18)
        tokens = []
        for number in range(1, args.members + 1):
            member = accounts.create_user(
                admin,
                username=f"bench.member{number:04d}",
                display_name=f"Benchmark Member {number}",
                email=f"bench.member{number:04d}@bench.invalid",
                department_id=lead.department_id,
                password=password,
                roles=["officer"],
            )
            workspaces.add_member(lead, workspace_id, user_id=member.id, role="member")
            tokens.append(accounts.create_token(member, name="fan-out benchmark")[1])
        lead_token = accounts.create_token(lead, name="fan-out benchmark")[1]
    print(
        json.dumps(
            {"workspace_id": workspace_id, "member_tokens": tokens, "lead_token": lead_token}
        )
    )


if __name__ == "__main__":
    main()
