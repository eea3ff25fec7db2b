"""Membership tiers, points ledger, coupons (issue: membership). Models arrive with their issue."""
