"""membership selectors: points."""
