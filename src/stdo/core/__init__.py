"""stdo.core."""
