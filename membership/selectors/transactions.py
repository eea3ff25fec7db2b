"""membership selectors: transactions."""
