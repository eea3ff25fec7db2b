"""Insurance renewal. Models arrive with their issue."""
