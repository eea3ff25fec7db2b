"""Every write of the insurance app (CONVENTIONS.md section 1)."""
