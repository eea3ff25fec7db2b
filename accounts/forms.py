"""Form helpers every surface shares (portal, mini-site, admin)."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from accounts.exceptions import ApplicationError


def form_errors_from(form: forms.BaseForm, exc: ApplicationError, *, rename: Mapping[str, str] | None = None) -> None:
    """A service error onto ``form``: each message of ``exc.fields`` under its
    field when the form has that field (``rename`` maps a service's field name
    to the form's), otherwise at the top of the form; an error without field
    messages shows its message at the top."""
    placed = False
    for name, errors in (exc.fields or {}).items():
        name = (rename or {}).get(name, name)
        for error in errors if isinstance(errors, (list, tuple)) else [errors]:
            form.add_error(name if name in form.fields else None, str(error))
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))
