"""Tabular model packages: bancassurance propensity, premium and segments."""
