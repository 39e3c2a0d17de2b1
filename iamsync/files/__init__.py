"""The repository on disk and in Git: trees, sources, config, schemas, templates."""
