"""The views, one module per endpoint (as DOT's views/)."""
