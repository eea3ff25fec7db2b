"""Every write of the membership app (CONVENTIONS.md section 1)."""
