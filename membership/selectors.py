"""Every read of the membership app, scoped through accounts.scoping.stores_for."""
