"""The bundled default propensity model (built by `ais propensity build-default`); data only, no code."""
