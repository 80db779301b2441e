"""Bird's API routes, one module per resource (and OpenAPI fragment)."""
