"""One reader per publisher format, chosen by the file's header (never its name)."""

from __future__ import annotations

from metforward.ingest.readers.area_measures import DeprivationBoroughReader, HousingDensityReader, PtalWardReader
from metforward.ingest.readers.base import Reader, ReadOptions, SniffingReader
from metforward.ingest.readers.business_crime import BusinessCrimeOffencesReader, BusinessCrimeOutcomesReader
from metforward.ingest.readers.census import CensusEthnicGroupReader
from metforward.ingest.readers.custody import CustodyDisposalsReader
from metforward.ingest.readers.dashboard import DashboardReader
from metforward.ingest.readers.datastore import DatastoreReader
from metforward.ingest.readers.homicide_proceedings import HomicideProceedingsReader
from metforward.ingest.readers.homicide_victims import HomicideVictimsReader
from metforward.ingest.readers.police_sites import FrontCountersReader, PoliceStationsReader
from metforward.ingest.readers.policeuk import (
    OutcomesReader,
    StopAndSearchReader,
    StreetPointsReader,
    StreetReader,
)
from metforward.ingest.readers.population import BoroughPopulationReader, LsoaPopulationReader
from metforward.ingest.readers.reference import GeoReader, LsoaLookupReader, WardLookupReader
from metforward.ingest.readers.survey import (
    InformedCountsReader,
    LondonTrustReader,
    PasDashboardReader,
    PublicPerceptionReader,
)
from metforward.ingest.readers.survey_neighbourhood import NeighbourhoodReader
from metforward.ingest.readers.vawg import VawgOffencesReader, VawgVictimsReader
from metforward.ingest.readers.workforce import HomeOfficeWorkforceReader, MopacStrengthReader

#: Readers of CSV formats, tried in order against the header.
CSV_READERS: list[Reader] = [
    StreetReader(),
    StreetPointsReader(),
    OutcomesReader(),
    StopAndSearchReader(),
    DatastoreReader(),
    DashboardReader(),
    LsoaLookupReader(),
    WardLookupReader(),
    BoroughPopulationReader(),
    LsoaPopulationReader(),
    MopacStrengthReader(),
    HomeOfficeWorkforceReader(),
    CensusEthnicGroupReader(),
    PasDashboardReader(),
    LondonTrustReader(),
    PublicPerceptionReader(),
    InformedCountsReader(),
    NeighbourhoodReader(),
    VawgOffencesReader(),
    VawgVictimsReader(),
    BusinessCrimeOffencesReader(),
    BusinessCrimeOutcomesReader(),
    CustodyDisposalsReader(),
    HomicideProceedingsReader(),
    HomicideVictimsReader(),
    FrontCountersReader(),
    PoliceStationsReader(),
    DeprivationBoroughReader(),
    HousingDensityReader(),
    PtalWardReader(),
]

#: Readers of non-CSV formats, recognised from their first bytes (tried before the CSV readers).
SNIFF_READERS: list[SniffingReader] = [GeoReader()]

__all__ = ["CSV_READERS", "SNIFF_READERS", "ReadOptions", "Reader", "SniffingReader"]
