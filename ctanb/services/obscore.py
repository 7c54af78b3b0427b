"""The ObsCore table of DL3 event lists: one definition of every column.

The DDL, the TAP_SCHEMA rows, the VOTable metadata and the documentation table are
all generated from :data:`COLUMNS`, so a column is described in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BASE_TABLE",
    "COLUMNS",
    "COLUMN_BY_NAME",
    "TABLE",
    "VIEW",
    "Column",
    "create_table_sql",
]

TABLE = "ivoa.obscore"
VIEW = "cta.vo_obscore"  # the name the original CTA prototype used


@dataclass(frozen=True)
class Column:
    """One ObsCore column.

    Parameters
    ----------
    name : str
        Column name.
    sql : str
        PostgreSQL type.
    datatype : str
        VOTable/TAP datatype (``char``, ``int``, ``long``, ``double``, ``timestamp`` ...).
    unit, ucd, utype, description : str
        Metadata published in TAP_SCHEMA and in result VOTables.
    source : str
        Where ingestion takes the value from (documentation).
    group : str
        ``mandatory``, ``optional`` (ObsCore 1.1 optional) or ``cta`` (CTA extension).
    indexed : bool
        Whether a B-tree index is built (GiST for ``s_region``).
    """

    name: str
    sql: str
    datatype: str
    unit: str = ""
    ucd: str = ""
    utype: str = ""
    description: str = ""
    source: str = ""
    group: str = "mandatory"
    indexed: bool = False
    xtype: str = ""

    @property
    def arraysize(self) -> str | None:
        """VOTable arraysize: ``*`` for strings."""
        return "*" if self.datatype == "char" else None


def _c(*args: str, **kw: object) -> Column:
    return Column(*args, **kw)  # type: ignore[arg-type]


OBS = "obscore:"
COLUMNS: tuple[Column, ...] = (
    # ---------------------------------------------------------------- ObsCore 1.1 mandatory
    _c(
        "dataproduct_type",
        "text NOT NULL",
        "char",
        "",
        "meta.code.class",
        OBS + "ObsDataset.dataProductType",
        "Data product type: 'event' for DL3 event lists",
        "constant 'event'",
        indexed=True,
    ),
    _c(
        "calib_level",
        "smallint NOT NULL",
        "short",
        "",
        "meta.code;obs.calib",
        OBS + "ObsDataset.calibLevel",
        "Calibration level: 2 for DL3 event lists",
        "constant 2",
    ),
    _c(
        "obs_collection",
        "text NOT NULL",
        "char",
        "",
        "meta.id",
        OBS + "DataID.Collection",
        "Collection the observation belongs to",
        "ingest --collection, else derived from TELESCOP (HESS-DL3-DR1, CTA-1DC ...)",
        indexed=True,
    ),
    _c(
        "obs_id",
        "text NOT NULL",
        "char",
        "",
        "meta.id",
        OBS + "DataID.observationID",
        "Observation (run) identifier",
        "OBS_ID (EVENTS header or obs-index)",
        indexed=True,
    ),
    _c(
        "obs_publisher_did",
        "text NOT NULL",
        "char",
        "",
        "meta.ref.ivoid",
        OBS + "Curation.publisherDID",
        "IVOA publisher dataset identifier",
        "ivo://ctanb/<collection>?<obs_id>",
    ),
    _c(
        "access_url",
        "text",
        "char",
        "",
        "meta.ref.url",
        OBS + "Access.reference",
        "URL of the event-list file (the service's download endpoint)",
        "<service>/data/<collection>/<obs_id>",
    ),
    _c(
        "access_format",
        "text",
        "char",
        "",
        "meta.code.mime",
        OBS + "Access.format",
        "Format of the file at access_url",
        "constant application/fits",
    ),
    _c(
        "access_estsize",
        "bigint",
        "long",
        "kbyte",
        "phys.size;meta.file",
        OBS + "Access.size",
        "Estimated size of the file",
        "file size on disk",
    ),
    _c(
        "target_name",
        "text",
        "char",
        "",
        "meta.id;src",
        OBS + "Target.name",
        "Name of the observed target",
        "TARGET_NAME or OBJECT (obs-index or EVENTS header)",
        indexed=True,
    ),
    _c(
        "s_ra",
        "double precision",
        "double",
        "deg",
        "pos.eq.ra",
        OBS + "Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C1",
        "Right ascension (ICRS) of the pointing",
        "RA_PNT",
        indexed=True,
    ),
    _c(
        "s_dec",
        "double precision",
        "double",
        "deg",
        "pos.eq.dec",
        OBS + "Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C2",
        "Declination (ICRS) of the pointing",
        "DEC_PNT",
        indexed=True,
    ),
    _c(
        "s_fov",
        "double precision",
        "double",
        "deg",
        "phys.angSize;instr.fov",
        OBS + "Char.SpatialAxis.Coverage.Bounds.Extent.diameter",
        "Diameter of the field of view",
        "2 x the largest offset of the IRFs (or DSVAL POS radius)",
    ),
    _c(
        "s_region",
        "scircle",
        "char",
        "",
        "pos.outline;obs.field",
        OBS + "Char.SpatialAxis.Coverage.Support.Area",
        "Field-of-view footprint (a circle of diameter s_fov around the pointing)",
        "pointing and s_fov",
        indexed=True,
        xtype="adql:REGION",
    ),
    _c(
        "s_resolution",
        "double precision",
        "double",
        "arcsec",
        "pos.angResolution",
        OBS + "Char.SpatialAxis.Resolution.Refval.value",
        "Typical angular resolution (68% containment)",
        "PSF at 1 TeV on axis, else default",
    ),
    _c(
        "s_xel1",
        "bigint",
        "long",
        "",
        "meta.number",
        OBS + "Char.SpatialAxis.numBins1",
        "Number of elements along the first spatial axis (-1: event list)",
        "constant -1",
    ),
    _c(
        "s_xel2",
        "bigint",
        "long",
        "",
        "meta.number",
        OBS + "Char.SpatialAxis.numBins2",
        "Number of elements along the second spatial axis (-1: event list)",
        "constant -1",
    ),
    _c(
        "t_min",
        "double precision",
        "double",
        "d",
        "time.start;obs.exposure",
        OBS + "Char.TimeAxis.Coverage.Bounds.Limits.StartTime",
        "Start time of the observation (MJD, TT)",
        "TSTART + MJDREFI/MJDREFF",
        indexed=True,
    ),
    _c(
        "t_max",
        "double precision",
        "double",
        "d",
        "time.end;obs.exposure",
        OBS + "Char.TimeAxis.Coverage.Bounds.Limits.StopTime",
        "End time of the observation (MJD, TT)",
        "TSTOP + MJDREFI/MJDREFF",
        indexed=True,
    ),
    _c(
        "t_exptime",
        "double precision",
        "double",
        "s",
        "time.duration;obs.exposure",
        OBS + "Char.TimeAxis.Coverage.Support.Extent",
        "Live time of the observation",
        "LIVETIME (else ONTIME x DEADC)",
    ),
    _c(
        "t_resolution",
        "double precision",
        "double",
        "s",
        "time.resolution",
        OBS + "Char.TimeAxis.Resolution.Refval.value",
        "Time resolution of the events",
        "default 1e-6 s",
    ),
    _c(
        "t_xel",
        "bigint",
        "long",
        "",
        "meta.number",
        OBS + "Char.TimeAxis.numBins",
        "Number of time elements (-1: event list)",
        "constant -1",
    ),
    _c(
        "em_min",
        "double precision",
        "double",
        "m",
        "em.wl;stat.min",
        OBS + "Char.SpectralAxis.Coverage.Bounds.Limits.LoLimit",
        "Shortest wavelength covered (from energy_max)",
        "h c / energy_max",
    ),
    _c(
        "em_max",
        "double precision",
        "double",
        "m",
        "em.wl;stat.max",
        OBS + "Char.SpectralAxis.Coverage.Bounds.Limits.HiLimit",
        "Longest wavelength covered (from energy_min)",
        "h c / energy_min",
    ),
    _c(
        "em_res_power",
        "double precision",
        "double",
        "",
        "spect.resolution",
        OBS + "Char.SpectralAxis.Resolution.ResolPower.refVal",
        "Spectral resolving power E/dE",
        "default from energy resolution (~10)",
    ),
    _c(
        "em_xel",
        "bigint",
        "long",
        "",
        "meta.number",
        OBS + "Char.SpectralAxis.numBins",
        "Number of spectral elements (-1: event list)",
        "constant -1",
    ),
    _c(
        "o_ucd",
        "text",
        "char",
        "",
        "meta.ucd",
        OBS + "Char.ObservableAxis.ucd",
        "UCD of the observable",
        "constant phot.count",
    ),
    _c(
        "pol_states",
        "text",
        "char",
        "",
        "meta.code;phys.polarization",
        OBS + "Char.PolarizationAxis.stateList",
        "Polarisation states (none)",
        "NULL",
    ),
    _c(
        "pol_xel",
        "bigint",
        "long",
        "",
        "meta.number",
        OBS + "Char.PolarizationAxis.numBins",
        "Number of polarisation elements",
        "NULL",
    ),
    _c(
        "facility_name",
        "text",
        "char",
        "",
        "meta.id;instr.tel",
        OBS + "Provenance.ObsConfig.Facility.name",
        "Observatory (H.E.S.S., CTAO ...)",
        "TELESCOP",
        indexed=True,
    ),
    _c(
        "instrument_name",
        "text",
        "char",
        "",
        "meta.id;instr",
        OBS + "Provenance.ObsConfig.Instrument.name",
        "Instrument",
        "INSTRUME, else TELESCOP",
        indexed=True,
    ),
    # ---------------------------------------------------------------- ObsCore 1.1 optional
    _c(
        "dataproduct_subtype",
        "text",
        "char",
        "",
        "meta.code.class",
        OBS + "ObsDataset.dataProductSubtype",
        "CTA data level (DL0 .. DL5)",
        "constant DL3",
        group="optional",
        indexed=True,
    ),
    _c(
        "obs_release_date",
        "timestamp",
        "char",
        "",
        "time.release",
        OBS + "Curation.releaseDate",
        "Date the data become public (ISO 8601, UTC)",
        "collection defaults",
        group="optional",
        indexed=True,
        xtype="timestamp",
    ),
    _c(
        "data_rights",
        "text",
        "char",
        "",
        "meta.code",
        OBS + "Curation.rights",
        "Data rights: public, secure or proprietary",
        "collection defaults",
        group="optional",
        indexed=True,
    ),
    _c(
        "s_resolution_min",
        "double precision",
        "double",
        "arcsec",
        "pos.angResolution;stat.min",
        OBS + "Char.SpatialAxis.Resolution.Bounds.Limits.LoLimit",
        "Best angular resolution",
        "collection defaults",
        group="optional",
    ),
    _c(
        "s_resolution_max",
        "double precision",
        "double",
        "arcsec",
        "pos.angResolution;stat.max",
        OBS + "Char.SpatialAxis.Resolution.Bounds.Limits.HiLimit",
        "Worst angular resolution",
        "collection defaults",
        group="optional",
    ),
    _c(
        "proposal_id",
        "text",
        "char",
        "",
        "meta.id;obs.proposal",
        OBS + "Provenance.Proposal.identifier",
        "Proposal the observation was made for",
        "collection defaults",
        group="optional",
        indexed=True,
    ),
    _c(
        "target_class",
        "text",
        "char",
        "",
        "src.class",
        OBS + "Target.class",
        "Class of the target (pwn, snr, blazar, ...)",
        "gamma-cat classes by target name, else collection defaults",
        group="optional",
        indexed=True,
    ),
    _c(
        "obs_creator_did",
        "text",
        "char",
        "",
        "meta.id",
        OBS + "DataID.creatorDID",
        "Identifier given by the data creator",
        "ivo://<facility>/<obs_id>",
        group="optional",
    ),
    _c(
        "obs_creator_name",
        "text",
        "char",
        "",
        "meta.id",
        OBS + "DataID.Creator",
        "Data creator",
        "ORIGIN",
        group="optional",
    ),
    _c(
        "obs_title",
        "text",
        "char",
        "",
        "meta.title;obs",
        OBS + "DataID.title",
        "Title of the observation",
        "'<facility> run <obs_id> on <target>'",
        group="optional",
    ),
    # ---------------------------------------------------------------- CTA ObsConfig
    _c(
        "site",
        "text",
        "char",
        "",
        "meta.id;instr.obsty",
        "cta:ObsConfig.site",
        "Observatory site",
        "collection defaults (e.g. Namibia, CTAO-South)",
        group="cta",
        indexed=True,
    ),
    _c(
        "sub_array_name",
        "text",
        "char",
        "",
        "meta.id;instr.setup",
        "cta:ObsConfig.subArray",
        "Sub-array (named or the telescope list)",
        "SUBARRAY, else TELLIST, else defaults",
        group="cta",
        indexed=True,
    ),
    _c(
        "tel_list",
        "text",
        "char",
        "",
        "meta.id;instr.tel",
        "cta:ObsConfig.telList",
        "Comma-separated telescope identifiers",
        "TELLIST",
        group="cta",
    ),
    _c(
        "n_tels",
        "integer",
        "int",
        "",
        "meta.number;instr.tel",
        "cta:ObsConfig.nTels",
        "Number of participating telescopes",
        "N_TELS",
        group="cta",
    ),
    _c(
        "pointing_mode",
        "text",
        "char",
        "",
        "meta.code;instr.setup",
        "cta:ObsConfig.pointingMode",
        "Pointing mode: parallel, divergent, convergent or custom",
        "CONV_DEP/POINTING_MODE, else defaults",
        group="cta",
        indexed=True,
    ),
    _c(
        "obs_mode",
        "text",
        "char",
        "",
        "meta.code;obs",
        "cta:ObsConfig.obsMode",
        "Observation mode: wobble, scan, on or off",
        "OBS_MODE, else from the offset of target from pointing",
        group="cta",
        indexed=True,
    ),
    _c(
        "run_type",
        "text",
        "char",
        "",
        "meta.code;obs",
        "cta:ObsConfig.runType",
        "Run type: science, flatfield, SPE, ...",
        "RUNTYPE, else defaults",
        group="cta",
        indexed=True,
    ),
    # ---------------------------------------------------------------- CTA Provenance
    _c(
        "data_quality",
        "text",
        "char",
        "",
        "meta.code.qual",
        "cta:Provenance.dataQuality",
        "Data quality flag",
        "QUALITY (0: good), else defaults",
        group="cta",
        indexed=True,
    ),
    _c(
        "calib_version",
        "text",
        "char",
        "",
        "meta.version",
        "cta:Provenance.calibVersion",
        "Calibration software version",
        "collection defaults",
        group="cta",
        indexed=True,
    ),
    _c(
        "reco_version",
        "text",
        "char",
        "",
        "meta.version",
        "cta:Provenance.recoVersion",
        "Reconstruction (pipeline) version",
        "CREATOR, else defaults",
        group="cta",
        indexed=True,
    ),
    _c(
        "reco_method",
        "text",
        "char",
        "",
        "meta.code",
        "cta:Provenance.recoMethod",
        "Reconstruction method",
        "collection defaults",
        group="cta",
        indexed=True,
    ),
    _c(
        "applied_cuts",
        "text",
        "char",
        "",
        "meta.code",
        "cta:Provenance.appliedCuts",
        "Event selection cuts (std, hard, loose, ...)",
        "EV_CLASS, else defaults",
        group="cta",
        indexed=True,
    ),
    _c(
        "spectral_model",
        "text",
        "char",
        "",
        "meta.code",
        "cta:Provenance.spectralModel",
        "Spectral model assumed for the IRFs",
        "collection defaults",
        group="cta",
    ),
    # ---------------------------------------------------------------- CTA energy & statistics
    _c(
        "energy_min",
        "double precision",
        "double",
        "TeV",
        "em.energy;stat.min",
        "cta:Char.energyMin",
        "Lowest safe energy (same range as em_max)",
        "SAFE_ENERGY_LO, else DSVAL ENERGY, else IRF range",
        group="cta",
        indexed=True,
    ),
    _c(
        "energy_max",
        "double precision",
        "double",
        "TeV",
        "em.energy;stat.max",
        "cta:Char.energyMax",
        "Highest safe energy (same range as em_min)",
        "SAFE_ENERGY_HI, else DSVAL ENERGY, else IRF range",
        group="cta",
        indexed=True,
    ),
    _c(
        "event_count",
        "bigint",
        "long",
        "",
        "meta.number;phot.count",
        "cta:Stat.eventCount",
        "Number of events in the list",
        "EVENTS rows",
        group="cta",
    ),
    _c(
        "event_energy_min",
        "double precision",
        "double",
        "TeV",
        "em.energy;stat.min;phot",
        "cta:Stat.eventEnergyMin",
        "Lowest event energy",
        "min(ENERGY)",
        group="cta",
        indexed=True,
    ),
    _c(
        "event_energy_max",
        "double precision",
        "double",
        "TeV",
        "em.energy;stat.max;phot",
        "cta:Stat.eventEnergyMax",
        "Highest event energy",
        "max(ENERGY)",
        group="cta",
        indexed=True,
    ),
    _c(
        "zenith_angle",
        "double precision",
        "double",
        "deg",
        "pos.az.zd",
        "cta:ObsConfig.zenith",
        "Mean zenith angle of the pointing",
        "ZEN_PNT, else 90 - ALT_PNT",
        group="cta",
    ),
    _c(
        "owner_group",
        "text",
        "char",
        "",
        "meta.id",
        "cta:Curation.ownerGroup",
        "Group that may read the data before obs_release_date",
        "collection defaults (from proposal_id)",
        group="cta",
        indexed=True,
    ),
)

COLUMN_BY_NAME = {column.name: column for column in COLUMNS}


BASE_TABLE = "archive.observation"
PRIVATE_COLUMNS = ("file_path", "file_sha256", "ingested_at")


def create_table_sql() -> str:
    """Return the DDL of the observation table, its indexes and the published views.

    Rows live in ``archive.observation`` (with the private columns ``file_path``,
    ``file_sha256``, ``ingested_at``); ``ivoa.obscore`` and ``cta.vo_obscore`` are views
    of the published columns that run with the caller's rights (``security_invoker``), so
    the row-level security policy of the table applies to every query through them.
    """
    lines = ",\n    ".join(f"{c.name} {c.sql}" for c in COLUMNS)
    statements = [
        "CREATE SCHEMA IF NOT EXISTS archive",
        "CREATE SCHEMA IF NOT EXISTS ivoa",
        "CREATE SCHEMA IF NOT EXISTS cta",
        f"CREATE TABLE IF NOT EXISTS {BASE_TABLE} (\n    {lines},\n"
        "    file_path text NOT NULL,\n"
        "    file_sha256 text,\n"
        "    ingested_at timestamptz NOT NULL DEFAULT now(),\n"
        "    PRIMARY KEY (obs_collection, obs_id)\n)",
    ]
    for c in COLUMNS:
        if not c.indexed:
            continue
        method = "gist" if c.sql.startswith("scircle") else "btree"
        statements.append(
            f"CREATE INDEX IF NOT EXISTS observation_{c.name}_idx "
            f"ON {BASE_TABLE} USING {method} ({c.name})"
        )
    public = ", ".join(c.name for c in COLUMNS)
    for view in (TABLE, VIEW):
        statements.append(
            f"CREATE OR REPLACE VIEW {view} WITH (security_invoker = true) AS "
            f"SELECT {public} FROM {BASE_TABLE}"
        )
    return ";\n".join(statements) + ";\n"


def markdown_table() -> str:
    """Return the Markdown table of every column: group, unit, UCD, meaning, where it comes from."""
    lines = [
        "| column | group | unit | UCD | meaning | where the value comes from |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in COLUMNS:
        lines.append(
            f"| `{c.name}` | {c.group} | {c.unit} | {c.ucd} | {c.description} | {c.source} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - `python -m ctanb.services.obscore`
    print(markdown_table(), end="")
