"""membership services: profiles."""
