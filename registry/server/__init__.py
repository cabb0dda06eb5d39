"""The composition root: wiring stores and services, building the app, running processes."""
