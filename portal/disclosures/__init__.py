"""Government information disclosures (政府信息公开): the published documents and their metadata."""
from portal.disclosures import views  # noqa: F401  (registers the blueprint module)
