"""HTTP serving: BentoML services, gateway, deployment config, auth, versions, monitoring."""
