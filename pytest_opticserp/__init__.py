"""pytest plugin: real Redis, PostgreSQL, emulators and the KKT adapter as fixtures, and failure scenarios."""
