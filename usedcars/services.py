"""Every write of the usedcars app (CONVENTIONS.md section 1)."""
