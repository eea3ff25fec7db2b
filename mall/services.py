"""Every write of the mall app (CONVENTIONS.md section 1)."""
