"""membership services: cards."""
