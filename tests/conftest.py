import os

from hypothesis import HealthCheck, settings

# Reproducible by default (CI must not depend on luck); HYPOTHESIS_PROFILE=explore searches anew.
settings.register_profile("ci", derandomize=True, max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
