"""Plugins for machinectl's own tests, published under the entry-point group machinectl.tests."""
