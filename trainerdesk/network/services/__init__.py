"""The placement network's services (one module per area)."""
