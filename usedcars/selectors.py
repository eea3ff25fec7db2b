"""Every read of the usedcars app, scoped through accounts.scoping.stores_for."""
