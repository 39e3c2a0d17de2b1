"""What iamsync knows of IAM itself: ARNs, names, limits, the catalog, documents."""
