"""The read-only half of the loop: compute a plan, check a saved one (no printing)."""
