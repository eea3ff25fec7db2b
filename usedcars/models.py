"""Used-car listings. Models arrive with their issue."""
