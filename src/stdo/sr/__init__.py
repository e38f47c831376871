"""stdo.sr."""
