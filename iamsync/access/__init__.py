"""The access review: effective access per principal before and after a plan, and the
risk findings of the after-state (pure: no client, no clock)."""
