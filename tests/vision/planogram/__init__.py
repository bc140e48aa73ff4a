"""Tests of vision/planogram (mirrors the package layout)."""
