"""The backbones, one module each (imported by the registry on first use)."""
