"""membership selectors: cards."""
