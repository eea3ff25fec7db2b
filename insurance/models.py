"""Insurance renewal (续保): the rating rules (models_rating), insurers and
policies (models_policies), saved quotes (models_quotes)."""

from insurance.models_policies import Insurer, Policy, PolicyCoverage, PolicyKind, PolicySource, PolicyStatus  # noqa: F401
from insurance.models_quotes import Quote, QuoteStatus  # noqa: F401
from insurance.models_rating import (  # noqa: F401
    NCD_LEVELS,
    USAGE_BAND_UNIT,
    BandUnit,
    CommercialBenchmark,
    CompulsoryBasePremium,
    CompulsoryFloatingRate,
    Coverage,
    HistoryLevel,
    NcdCoefficient,
    PlatePrefix,
    PricingCoefficientRange,
    Region,
    RegionScheme,
    Usage,
    VehicleTaxRate,
    ViolationCoefficientRange,
)
from insurance.models_plates import PlateAlert, PlateEvent, PlateEventStatus  # noqa: F401,E402
from insurance.models_renewals import (  # noqa: F401,E402
    OPEN_STAGES,
    LostReason,
    Renewal,
    RenewalStage,
    RenewalTouch,
    TouchKind,
)
