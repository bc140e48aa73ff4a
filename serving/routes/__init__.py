"""Task-specific HTTP routes (``ROUTES = [(path, method, work), ...]``) beyond the generic predict ones."""
