"""pytest setup for the plugin's tests: detailed assertion messages from lucid's kit."""

import pytest

pytest.register_assert_rewrite("lucid.testing")
