"""The drift report (``Drift``, ``DriftReport``): it lives in ``viduemu.drift`` so that ``viduemu proxy``
writes the same report without pytest installed; the plugin and the conformance suite import it here."""

from viduemu.drift import Drift, DriftReport

__all__ = ["Drift", "DriftReport"]
