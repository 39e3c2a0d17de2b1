"""The engine: validate, build the desired state, diff, order the calls (pure)."""
