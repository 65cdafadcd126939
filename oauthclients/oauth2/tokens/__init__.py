"""What the server issues and spends."""
