"""Policy documents: the rules every document passes, and what a change grants."""
