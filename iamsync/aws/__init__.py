"""Everything that talks to AWS: sessions, bulk reads, the call runner, local mode."""
