"""membership services: coupons."""
