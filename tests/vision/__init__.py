"""Tests of the vision packages."""
