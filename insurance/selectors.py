"""Every read of the insurance app, scoped through accounts.scoping.stores_for."""
