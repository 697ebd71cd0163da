"""Views (thin adapters around actions, queries and policies)."""
