"""Catalog: the operations that views, the API, the command line and the demo call.

The work lives in modules along the domain's seams: :mod:`~app.catalog.access`
(loading a dataset for a viewer or a change, error codes), :mod:`~app.catalog.browse`
(the list, filters, a dataset's page), :mod:`~app.catalog.registry` (register and
edit), :mod:`~app.catalog.uploads` (versions and the preview) and
:mod:`~app.catalog.coverage`. Every change is one action (:mod:`app.actions`).
"""

from app.catalog.access import (
    CLASSIFICATIONS,
    COLUMN_TYPES,
    DESCRIPTION_MAX,
    SENSITIVITIES,
    TITLE_MAX,
    CatalogError,
    FileTooLarge,
    dataset_path,
    dataset_stream,
    get_dataset,
)
from app.catalog.browse import (
    DatasetPage,
    FilterOptions,
    dataset_events,
    dataset_page,
    department_people,
    filter_options,
    list_dataset_answers,
    list_dataset_rows,
    list_datasets,
)
from app.catalog.coverage import Coverage, UnmetDemand, coverage, register_unmet_demand
from app.catalog.registry import (
    create_dataset,
    editable_dataset,
    ensure_may_create,
    format_column_lines,
    jurisdictions,
    parse_column_lines,
    update_dataset,
)
from app.catalog.uploads import Preview, max_upload_bytes, preview, upload_version

__all__ = [
    "CLASSIFICATIONS",
    "COLUMN_TYPES",
    "DESCRIPTION_MAX",
    "SENSITIVITIES",
    "TITLE_MAX",
    "CatalogError",
    "Coverage",
    "DatasetPage",
    "FileTooLarge",
    "FilterOptions",
    "Preview",
    "UnmetDemand",
    "coverage",
    "create_dataset",
    "dataset_events",
    "dataset_page",
    "dataset_path",
    "dataset_stream",
    "editable_dataset",
    "department_people",
    "ensure_may_create",
    "filter_options",
    "format_column_lines",
    "get_dataset",
    "jurisdictions",
    "list_dataset_answers",
    "list_dataset_rows",
    "list_datasets",
    "max_upload_bytes",
    "parse_column_lines",
    "preview",
    "register_unmet_demand",
    "update_dataset",
    "upload_version",
]
