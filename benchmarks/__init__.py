"""`make bench`: performance figures, each printed with its target."""
