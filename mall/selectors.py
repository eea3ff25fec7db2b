"""Every read of the mall app, scoped through accounts.scoping.stores_for."""
