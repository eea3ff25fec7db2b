"""Leads selectors: leads."""

__all__: list[str] = []
