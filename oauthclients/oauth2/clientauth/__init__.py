"""Who the client is."""
