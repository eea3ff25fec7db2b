"""membership services: daily."""
