"""Every write of the leads app (CONVENTIONS.md section 1)."""
