"""metforward: open policing-accountability figures with significance, completeness and provenance."""

from metforward import log as _log  # noqa: F401  (installs the NullHandler on import)

__version__ = "0.1.0"

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right. "
    "Source: Office for National Statistics; data.police.uk; London Datastore (MOPAC/GLA)."
)

__all__ = ["ATTRIBUTION", "__version__"]
