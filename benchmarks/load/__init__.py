"""The load scenario: `make load` (see __main__.py)."""
