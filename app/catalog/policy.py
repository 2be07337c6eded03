"""Who may see and change a dataset (registered with ``app.policy`` at start-up).

Everyone signed in reads every dataset's metadata: the catalog exists so departments
learn what others hold. Officers and heads of the owning department register, edit and
upload. Contents are another matter: the preview shows the rows of public datasets
only; non-public contents reach nobody outside the owning department except through a
grant (the sharing domain), and no page here shows them.
"""

from __future__ import annotations

from app.policy import has_role, rule


def works_for_owner(user, dataset) -> bool:
    """An officer or head of the department that owns ``dataset``."""
    return user.department_id == dataset.owner_department_id and has_role(user, "officer", "head")


@rule("dataset.create")
def _create(user, _obj) -> bool:
    return has_role(user, "officer", "head")


@rule("dataset.view")
def _view(user, dataset) -> bool:
    return True


@rule("dataset.update", "dataset.upload")
def _owner(user, dataset) -> bool:
    return dataset is not None and works_for_owner(user, dataset)


@rule("dataset.preview")
def _preview(user, dataset) -> bool:
    return dataset is not None and dataset.is_public
