"""membership selectors: coupons."""
