"""Test fixture: entry points that are broken on purpose (see this distribution's pyproject)."""
