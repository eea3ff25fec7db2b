"""Every read of the membership app, scoped through accounts.scoping.stores_for.

One module per topic (points, cards, coupons, transactions, profiles)."""
