"""membership services: transactions."""
