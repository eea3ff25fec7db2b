"""Permission-matrix rows for import jobs (format: tests/test_permission_matrix.py).
A job is seen by the user who ran it (store A's manager here) and by HQ; anyone
else gets a 404, as for an object out of scope."""

from __future__ import annotations

from tests.matrix import PORTAL_PAGE


def _import_job(fx):
    from accounts.models import ImportJob, ImportJobStatus

    return ImportJob.objects.create(kind="membership.transactions", actor=fx("manager_a"), store=fx("store_a"),
                                    file_name="dms.csv", status=ImportJobStatus.DONE, total_rows=1, processed_rows=1)


OBJECTS = {"import_job": _import_job}
RUNNER_AND_HQ = {**PORTAL_PAGE, "consultant_a": 404, "consultant_b": 404}

# fmt: off
MATRIX = [
    ("portal:import-job-list",                               "GET", PORTAL_PAGE),
    (("portal:import-job", {"pk": "import_job"}),            "GET", RUNNER_AND_HQ),
    (("portal:import-job-progress", {"pk": "import_job"}),   "GET", RUNNER_AND_HQ),
]
# fmt: on
