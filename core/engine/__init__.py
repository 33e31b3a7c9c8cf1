"""Nodeloom."""
