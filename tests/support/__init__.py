"""Helpers the tests share (plain functions and classes; fixtures live in the conftest files)."""
