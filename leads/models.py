"""Leads and call follow-up (issue: leads). Models arrive with their issue."""
