"""membership selectors: profiles."""
