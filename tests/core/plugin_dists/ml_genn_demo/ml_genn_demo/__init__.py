"""A small third-party plugin: a compiler, a callback and network validation."""
