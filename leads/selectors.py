"""Every read of the leads app, scoped through accounts.scoping.stores_for."""
