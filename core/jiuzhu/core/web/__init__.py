"""The web application: JSON API under /api (OpenAPI at /schema) and Chinese pages."""
