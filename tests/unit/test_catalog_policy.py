"""The policy matrix of the catalog: people x dataset actions x public or not.

Everyone signed in reads metadata; officers and heads of the owning department change
and upload; the preview shows public datasets only; deactivated and anonymous people
may do nothing.
"""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from app.policy import can, known_actions
from tests.factories import make_dataset, make_department, make_user

ON_DATASET = ["view", "update", "upload", "preview"]
EVERY_ACTION = {*ON_DATASET, "create"}
OWNER = {"create", "view", "update", "upload"}
EXPECTED = {
    "officer_owner": OWNER,
    "head_owner": OWNER,
    "dpo_owner": {"view"},
    "officer_other": {"create", "view"},
    "head_other": {"create", "view"},
    "dpo_other": {"view"},
    "auditor": {"view"},
    "admin": {"view"},
    "deactivated_owner": set(),
    "anonymous": set(),
}
PEOPLE = sorted(EXPECTED)


def build(classification: str) -> tuple[dict, object]:
    owner = make_department(name="Drainage Services Department")
    other = make_department(name="Transport Department")
    people = {
        "officer_owner": make_user("officer", department=owner),
        "head_owner": make_user("officer", "head", department=owner),
        "dpo_owner": make_user("dpo", department=owner),
        "officer_other": make_user("officer", department=other),
        "head_other": make_user("officer", "head", department=other),
        "dpo_other": make_user("dpo", department=other),
        "auditor": make_user("auditor", department=other),
        "admin": make_user("admin", department=other),
        "deactivated_owner": make_user("officer", department=owner, active=False),
        "anonymous": AnonymousUserMixin(),
    }
    return people, make_dataset(people["officer_owner"], classification=classification)


@pytest.mark.parametrize("classification", ["public", "internal", "restricted", "personal"])
@pytest.mark.parametrize("person", PEOPLE)
def test_catalog_policy_matrix(db, classification, person):
    people, dataset = build(classification)
    user = people[person]
    allowed = {action for action in ON_DATASET if can(user, f"dataset.{action}", dataset)}
    if can(user, "dataset.create"):
        allowed.add("create")
    expected = set(EXPECTED[person])
    if classification == "public" and expected:
        expected.add("preview")
    assert allowed == expected


def test_matrix_covers_every_dataset_action():
    registered = {
        name.removeprefix("dataset.") for name in known_actions() if name.startswith("dataset.")
    }
    assert registered == EVERY_ACTION


def test_nobody_changes_or_previews_a_missing_dataset(db):
    head = make_user("officer", "head")
    for action in ("update", "upload", "preview"):
        assert not can(head, f"dataset.{action}", None)
