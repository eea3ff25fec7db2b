"""membership services: points."""
