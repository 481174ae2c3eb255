"""The probe paths: answered without a token, a Host check or a rate limit, so an orchestrator can
always see the service."""

PROBE_PATHS = frozenset({"/healthz", "/readyz", "/health"})
