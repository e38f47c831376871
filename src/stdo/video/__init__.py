"""stdo.video."""
