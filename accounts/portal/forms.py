from __future__ import annotations

from accounts.catalogue import forms as catalogue_forms


class VehicleForm(catalogue_forms.VehicleForm):
    """A member's car registered by store staff (member page)."""

    picker_url_name = "portal:vehicle-picker"
