"""Points mall with employee-referral commissions. Models arrive with their issue."""
