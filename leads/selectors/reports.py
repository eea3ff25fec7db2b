"""Leads selectors: reports."""

__all__: list[str] = []
