"""Ending sessions at the clients."""
