-- The schema of ctanb at commit 661d142, as its code created it (Store.initialise and
-- JobService.start): obscore.create_table_sql(), RIGHTS_SQL, tap_schema.create_sql(),
-- TOKENS_SQL, JOBS_SQL and square_degrees. Generated from that commit's source with
-- `git archive 661d142 ctanb | tar -x -C OLD` and PYTHONPATH=OLD; roles and grants are
-- made by the code, not here. Used by tests/site/test_schema_upgrade.py.

CREATE SCHEMA IF NOT EXISTS archive;
CREATE SCHEMA IF NOT EXISTS ivoa;
CREATE SCHEMA IF NOT EXISTS cta;
CREATE TABLE IF NOT EXISTS archive.observation (
    dataproduct_type text NOT NULL,
    calib_level smallint NOT NULL,
    obs_collection text NOT NULL,
    obs_id text NOT NULL,
    obs_publisher_did text NOT NULL,
    access_url text,
    access_format text,
    access_estsize bigint,
    target_name text,
    s_ra double precision,
    s_dec double precision,
    s_fov double precision,
    s_region scircle,
    s_resolution double precision,
    s_xel1 bigint,
    s_xel2 bigint,
    t_min double precision,
    t_max double precision,
    t_exptime double precision,
    t_resolution double precision,
    t_xel bigint,
    em_min double precision,
    em_max double precision,
    em_res_power double precision,
    em_xel bigint,
    o_ucd text,
    pol_states text,
    pol_xel bigint,
    facility_name text,
    instrument_name text,
    dataproduct_subtype text,
    obs_release_date timestamp,
    data_rights text,
    s_resolution_min double precision,
    s_resolution_max double precision,
    proposal_id text,
    target_class text,
    obs_creator_did text,
    obs_creator_name text,
    obs_title text,
    site text,
    sub_array_name text,
    tel_list text,
    n_tels integer,
    pointing_mode text,
    obs_mode text,
    run_type text,
    data_quality text,
    calib_version text,
    reco_version text,
    reco_method text,
    applied_cuts text,
    spectral_model text,
    energy_min double precision,
    energy_max double precision,
    event_count bigint,
    event_energy_min double precision,
    event_energy_max double precision,
    zenith_angle double precision,
    owner_group text,
    file_path text NOT NULL,
    file_sha256 text,
    ingested_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (obs_collection, obs_id)
);
CREATE INDEX IF NOT EXISTS observation_dataproduct_type_idx ON archive.observation USING btree (dataproduct_type);
CREATE INDEX IF NOT EXISTS observation_obs_collection_idx ON archive.observation USING btree (obs_collection);
CREATE INDEX IF NOT EXISTS observation_obs_id_idx ON archive.observation USING btree (obs_id);
CREATE INDEX IF NOT EXISTS observation_target_name_idx ON archive.observation USING btree (target_name);
CREATE INDEX IF NOT EXISTS observation_s_ra_idx ON archive.observation USING btree (s_ra);
CREATE INDEX IF NOT EXISTS observation_s_dec_idx ON archive.observation USING btree (s_dec);
CREATE INDEX IF NOT EXISTS observation_s_region_idx ON archive.observation USING gist (s_region);
CREATE INDEX IF NOT EXISTS observation_t_min_idx ON archive.observation USING btree (t_min);
CREATE INDEX IF NOT EXISTS observation_t_max_idx ON archive.observation USING btree (t_max);
CREATE INDEX IF NOT EXISTS observation_facility_name_idx ON archive.observation USING btree (facility_name);
CREATE INDEX IF NOT EXISTS observation_instrument_name_idx ON archive.observation USING btree (instrument_name);
CREATE INDEX IF NOT EXISTS observation_dataproduct_subtype_idx ON archive.observation USING btree (dataproduct_subtype);
CREATE INDEX IF NOT EXISTS observation_obs_release_date_idx ON archive.observation USING btree (obs_release_date);
CREATE INDEX IF NOT EXISTS observation_data_rights_idx ON archive.observation USING btree (data_rights);
CREATE INDEX IF NOT EXISTS observation_proposal_id_idx ON archive.observation USING btree (proposal_id);
CREATE INDEX IF NOT EXISTS observation_target_class_idx ON archive.observation USING btree (target_class);
CREATE INDEX IF NOT EXISTS observation_site_idx ON archive.observation USING btree (site);
CREATE INDEX IF NOT EXISTS observation_sub_array_name_idx ON archive.observation USING btree (sub_array_name);
CREATE INDEX IF NOT EXISTS observation_pointing_mode_idx ON archive.observation USING btree (pointing_mode);
CREATE INDEX IF NOT EXISTS observation_obs_mode_idx ON archive.observation USING btree (obs_mode);
CREATE INDEX IF NOT EXISTS observation_run_type_idx ON archive.observation USING btree (run_type);
CREATE INDEX IF NOT EXISTS observation_data_quality_idx ON archive.observation USING btree (data_quality);
CREATE INDEX IF NOT EXISTS observation_calib_version_idx ON archive.observation USING btree (calib_version);
CREATE INDEX IF NOT EXISTS observation_reco_version_idx ON archive.observation USING btree (reco_version);
CREATE INDEX IF NOT EXISTS observation_reco_method_idx ON archive.observation USING btree (reco_method);
CREATE INDEX IF NOT EXISTS observation_applied_cuts_idx ON archive.observation USING btree (applied_cuts);
CREATE INDEX IF NOT EXISTS observation_energy_min_idx ON archive.observation USING btree (energy_min);
CREATE INDEX IF NOT EXISTS observation_energy_max_idx ON archive.observation USING btree (energy_max);
CREATE INDEX IF NOT EXISTS observation_event_energy_min_idx ON archive.observation USING btree (event_energy_min);
CREATE INDEX IF NOT EXISTS observation_event_energy_max_idx ON archive.observation USING btree (event_energy_max);
CREATE INDEX IF NOT EXISTS observation_owner_group_idx ON archive.observation USING btree (owner_group);
CREATE OR REPLACE VIEW ivoa.obscore WITH (security_invoker = true) AS SELECT dataproduct_type, calib_level, obs_collection, obs_id, obs_publisher_did, access_url, access_format, access_estsize, target_name, s_ra, s_dec, s_fov, s_region, s_resolution, s_xel1, s_xel2, t_min, t_max, t_exptime, t_resolution, t_xel, em_min, em_max, em_res_power, em_xel, o_ucd, pol_states, pol_xel, facility_name, instrument_name, dataproduct_subtype, obs_release_date, data_rights, s_resolution_min, s_resolution_max, proposal_id, target_class, obs_creator_did, obs_creator_name, obs_title, site, sub_array_name, tel_list, n_tels, pointing_mode, obs_mode, run_type, data_quality, calib_version, reco_version, reco_method, applied_cuts, spectral_model, energy_min, energy_max, event_count, event_energy_min, event_energy_max, zenith_angle, owner_group FROM archive.observation;
CREATE OR REPLACE VIEW cta.vo_obscore WITH (security_invoker = true) AS SELECT dataproduct_type, calib_level, obs_collection, obs_id, obs_publisher_did, access_url, access_format, access_estsize, target_name, s_ra, s_dec, s_fov, s_region, s_resolution, s_xel1, s_xel2, t_min, t_max, t_exptime, t_resolution, t_xel, em_min, em_max, em_res_power, em_xel, o_ucd, pol_states, pol_xel, facility_name, instrument_name, dataproduct_subtype, obs_release_date, data_rights, s_resolution_min, s_resolution_max, proposal_id, target_class, obs_creator_did, obs_creator_name, obs_title, site, sub_array_name, tel_list, n_tels, pointing_mode, obs_mode, run_type, data_quality, calib_version, reco_version, reco_method, applied_cuts, spectral_model, energy_min, energy_max, event_count, event_energy_min, event_energy_max, zenith_angle, owner_group FROM archive.observation;

CREATE OR REPLACE FUNCTION archive.user_groups() RETURNS text[]
    LANGUAGE sql STABLE AS
$$ SELECT coalesce(string_to_array(nullif(current_setting('ctanb.groups', true), ''), ','),
                   '{}'::text[]) $$;
ALTER TABLE archive.observation ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS data_rights ON archive.observation;
CREATE POLICY data_rights ON archive.observation FOR SELECT USING (
    data_rights = 'public'
    OR (obs_release_date IS NOT NULL AND obs_release_date <= now() AT TIME ZONE 'UTC')
    OR owner_group = ANY (archive.user_groups())
);

CREATE SCHEMA IF NOT EXISTS tap_schema;
DROP TABLE IF EXISTS tap_schema.schemas CASCADE;
CREATE TABLE tap_schema.schemas ("schema_name" text, "utype" text, "description" text, "schema_index" integer);
DROP TABLE IF EXISTS tap_schema.tables CASCADE;
CREATE TABLE tap_schema.tables ("schema_name" text, "table_name" text, "table_type" text, "utype" text, "description" text, "table_index" integer);
DROP TABLE IF EXISTS tap_schema.columns CASCADE;
CREATE TABLE tap_schema.columns ("table_name" text, "column_name" text, "datatype" text, "arraysize" text, "xtype" text, "size" integer, "description" text, "utype" text, "unit" text, "ucd" text, "indexed" integer, "principal" integer, "std" integer, "column_index" integer);
DROP TABLE IF EXISTS tap_schema.keys CASCADE;
CREATE TABLE tap_schema.keys ("key_id" text, "from_table" text, "target_table" text, "description" text, "utype" text);
DROP TABLE IF EXISTS tap_schema.key_columns CASCADE;
CREATE TABLE tap_schema.key_columns ("key_id" text, "from_column" text, "target_column" text);
INSERT INTO tap_schema.keys VALUES
('tables_schema', 'tap_schema.tables', 'tap_schema.schemas', 'the schema of a table', NULL),
('columns_table', 'tap_schema.columns', 'tap_schema.tables', 'the table of a column', NULL),
('keys_from', 'tap_schema.keys', 'tap_schema.tables', 'the table holding a foreign key', NULL),
('keys_target', 'tap_schema.keys', 'tap_schema.tables', 'the table a foreign key points at', NULL),
('key_columns_key', 'tap_schema.key_columns', 'tap_schema.keys', 'the key of a key column', NULL);
INSERT INTO tap_schema.key_columns VALUES
('tables_schema', 'schema_name', 'schema_name'),
('columns_table', 'table_name', 'table_name'),
('keys_from', 'from_table', 'table_name'),
('keys_target', 'target_table', 'table_name'),
('key_columns_key', 'key_id', 'key_id');
INSERT INTO tap_schema.schemas VALUES
('ivoa', NULL, 'IVOA standard data models (ObsCore)', 0),
('cta', NULL, 'CTA data-diffusion tables', 1),
('tap_schema', NULL, 'Metadata of this TAP service', 2);
INSERT INTO tap_schema.tables VALUES
('ivoa', 'ivoa.obscore', 'view', NULL, 'ObsCore 1.1 table of DL3 event lists, with CTA extensions', 0),
('cta', 'cta.vo_obscore', 'view', NULL, 'The same ObsCore table, under the CTA prototype''s name', 1),
('tap_schema', 'tap_schema.schemas', 'table', NULL, 'Schemas published by this service', 2),
('tap_schema', 'tap_schema.tables', 'table', NULL, 'Tables published by this service', 3),
('tap_schema', 'tap_schema.columns', 'table', NULL, 'Columns of the published tables', 4),
('tap_schema', 'tap_schema.keys', 'table', NULL, 'Foreign keys between published tables', 5),
('tap_schema', 'tap_schema.key_columns', 'table', NULL, 'Columns of the foreign keys', 6);
INSERT INTO tap_schema.columns VALUES
('ivoa.obscore', 'dataproduct_type', 'char', '*', NULL, NULL, 'Data product type: ''event'' for DL3 event lists', 'obscore:ObsDataset.dataProductType', NULL, 'meta.code.class', 1, 1, 1, 0),
('ivoa.obscore', 'calib_level', 'short', NULL, NULL, NULL, 'Calibration level: 2 for DL3 event lists', 'obscore:ObsDataset.calibLevel', NULL, 'meta.code;obs.calib', 0, 0, 1, 1),
('ivoa.obscore', 'obs_collection', 'char', '*', NULL, NULL, 'Collection the observation belongs to', 'obscore:DataID.Collection', NULL, 'meta.id', 1, 1, 1, 2),
('ivoa.obscore', 'obs_id', 'char', '*', NULL, NULL, 'Observation (run) identifier', 'obscore:DataID.observationID', NULL, 'meta.id', 1, 1, 1, 3),
('ivoa.obscore', 'obs_publisher_did', 'char', '*', NULL, NULL, 'IVOA publisher dataset identifier', 'obscore:Curation.publisherDID', NULL, 'meta.ref.ivoid', 0, 0, 1, 4),
('ivoa.obscore', 'access_url', 'char', '*', NULL, NULL, 'URL of the event-list file (the service''s download endpoint)', 'obscore:Access.reference', NULL, 'meta.ref.url', 0, 1, 1, 5),
('ivoa.obscore', 'access_format', 'char', '*', NULL, NULL, 'Format of the file at access_url', 'obscore:Access.format', NULL, 'meta.code.mime', 0, 0, 1, 6),
('ivoa.obscore', 'access_estsize', 'long', NULL, NULL, NULL, 'Estimated size of the file', 'obscore:Access.size', 'kbyte', 'phys.size;meta.file', 0, 0, 1, 7),
('ivoa.obscore', 'target_name', 'char', '*', NULL, NULL, 'Name of the observed target', 'obscore:Target.name', NULL, 'meta.id;src', 1, 1, 1, 8),
('ivoa.obscore', 's_ra', 'double', NULL, NULL, NULL, 'Right ascension (ICRS) of the pointing', 'obscore:Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C1', 'deg', 'pos.eq.ra', 1, 1, 1, 9),
('ivoa.obscore', 's_dec', 'double', NULL, NULL, NULL, 'Declination (ICRS) of the pointing', 'obscore:Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C2', 'deg', 'pos.eq.dec', 1, 1, 1, 10),
('ivoa.obscore', 's_fov', 'double', NULL, NULL, NULL, 'Diameter of the field of view', 'obscore:Char.SpatialAxis.Coverage.Bounds.Extent.diameter', 'deg', 'phys.angSize;instr.fov', 0, 0, 1, 11),
('ivoa.obscore', 's_region', 'char', '*', 'adql:REGION', NULL, 'Field-of-view footprint (a circle of diameter s_fov around the pointing)', 'obscore:Char.SpatialAxis.Coverage.Support.Area', NULL, 'pos.outline;obs.field', 1, 0, 1, 12),
('ivoa.obscore', 's_resolution', 'double', NULL, NULL, NULL, 'Typical angular resolution (68% containment)', 'obscore:Char.SpatialAxis.Resolution.Refval.value', 'arcsec', 'pos.angResolution', 0, 0, 1, 13),
('ivoa.obscore', 's_xel1', 'long', NULL, NULL, NULL, 'Number of elements along the first spatial axis (-1: event list)', 'obscore:Char.SpatialAxis.numBins1', NULL, 'meta.number', 0, 0, 1, 14),
('ivoa.obscore', 's_xel2', 'long', NULL, NULL, NULL, 'Number of elements along the second spatial axis (-1: event list)', 'obscore:Char.SpatialAxis.numBins2', NULL, 'meta.number', 0, 0, 1, 15),
('ivoa.obscore', 't_min', 'double', NULL, NULL, NULL, 'Start time of the observation (MJD, TT)', 'obscore:Char.TimeAxis.Coverage.Bounds.Limits.StartTime', 'd', 'time.start;obs.exposure', 1, 1, 1, 16),
('ivoa.obscore', 't_max', 'double', NULL, NULL, NULL, 'End time of the observation (MJD, TT)', 'obscore:Char.TimeAxis.Coverage.Bounds.Limits.StopTime', 'd', 'time.end;obs.exposure', 1, 1, 1, 17),
('ivoa.obscore', 't_exptime', 'double', NULL, NULL, NULL, 'Live time of the observation', 'obscore:Char.TimeAxis.Coverage.Support.Extent', 's', 'time.duration;obs.exposure', 0, 0, 1, 18),
('ivoa.obscore', 't_resolution', 'double', NULL, NULL, NULL, 'Time resolution of the events', 'obscore:Char.TimeAxis.Resolution.Refval.value', 's', 'time.resolution', 0, 0, 1, 19),
('ivoa.obscore', 't_xel', 'long', NULL, NULL, NULL, 'Number of time elements (-1: event list)', 'obscore:Char.TimeAxis.numBins', NULL, 'meta.number', 0, 0, 1, 20),
('ivoa.obscore', 'em_min', 'double', NULL, NULL, NULL, 'Shortest wavelength covered (from energy_max)', 'obscore:Char.SpectralAxis.Coverage.Bounds.Limits.LoLimit', 'm', 'em.wl;stat.min', 0, 0, 1, 21),
('ivoa.obscore', 'em_max', 'double', NULL, NULL, NULL, 'Longest wavelength covered (from energy_min)', 'obscore:Char.SpectralAxis.Coverage.Bounds.Limits.HiLimit', 'm', 'em.wl;stat.max', 0, 0, 1, 22),
('ivoa.obscore', 'em_res_power', 'double', NULL, NULL, NULL, 'Spectral resolving power E/dE', 'obscore:Char.SpectralAxis.Resolution.ResolPower.refVal', NULL, 'spect.resolution', 0, 0, 1, 23),
('ivoa.obscore', 'em_xel', 'long', NULL, NULL, NULL, 'Number of spectral elements (-1: event list)', 'obscore:Char.SpectralAxis.numBins', NULL, 'meta.number', 0, 0, 1, 24),
('ivoa.obscore', 'o_ucd', 'char', '*', NULL, NULL, 'UCD of the observable', 'obscore:Char.ObservableAxis.ucd', NULL, 'meta.ucd', 0, 0, 1, 25),
('ivoa.obscore', 'pol_states', 'char', '*', NULL, NULL, 'Polarisation states (none)', 'obscore:Char.PolarizationAxis.stateList', NULL, 'meta.code;phys.polarization', 0, 0, 1, 26),
('ivoa.obscore', 'pol_xel', 'long', NULL, NULL, NULL, 'Number of polarisation elements', 'obscore:Char.PolarizationAxis.numBins', NULL, 'meta.number', 0, 0, 1, 27),
('ivoa.obscore', 'facility_name', 'char', '*', NULL, NULL, 'Observatory (H.E.S.S., CTAO ...)', 'obscore:Provenance.ObsConfig.Facility.name', NULL, 'meta.id;instr.tel', 1, 0, 1, 28),
('ivoa.obscore', 'instrument_name', 'char', '*', NULL, NULL, 'Instrument', 'obscore:Provenance.ObsConfig.Instrument.name', NULL, 'meta.id;instr', 1, 1, 1, 29),
('ivoa.obscore', 'dataproduct_subtype', 'char', '*', NULL, NULL, 'CTA data level (DL0 .. DL5)', 'obscore:ObsDataset.dataProductSubtype', NULL, 'meta.code.class', 1, 0, 1, 30),
('ivoa.obscore', 'obs_release_date', 'char', '*', 'timestamp', NULL, 'Date the data become public (ISO 8601, UTC)', 'obscore:Curation.releaseDate', NULL, 'time.release', 1, 0, 1, 31),
('ivoa.obscore', 'data_rights', 'char', '*', NULL, NULL, 'Data rights: public, secure or proprietary', 'obscore:Curation.rights', NULL, 'meta.code', 1, 0, 1, 32),
('ivoa.obscore', 's_resolution_min', 'double', NULL, NULL, NULL, 'Best angular resolution', 'obscore:Char.SpatialAxis.Resolution.Bounds.Limits.LoLimit', 'arcsec', 'pos.angResolution;stat.min', 0, 0, 1, 33),
('ivoa.obscore', 's_resolution_max', 'double', NULL, NULL, NULL, 'Worst angular resolution', 'obscore:Char.SpatialAxis.Resolution.Bounds.Limits.HiLimit', 'arcsec', 'pos.angResolution;stat.max', 0, 0, 1, 34),
('ivoa.obscore', 'proposal_id', 'char', '*', NULL, NULL, 'Proposal the observation was made for', 'obscore:Provenance.Proposal.identifier', NULL, 'meta.id;obs.proposal', 1, 0, 1, 35),
('ivoa.obscore', 'target_class', 'char', '*', NULL, NULL, 'Class of the target (pwn, snr, blazar, ...)', 'obscore:Target.class', NULL, 'src.class', 1, 0, 1, 36),
('ivoa.obscore', 'obs_creator_did', 'char', '*', NULL, NULL, 'Identifier given by the data creator', 'obscore:DataID.creatorDID', NULL, 'meta.id', 0, 0, 1, 37),
('ivoa.obscore', 'obs_creator_name', 'char', '*', NULL, NULL, 'Data creator', 'obscore:DataID.Creator', NULL, 'meta.id', 0, 0, 1, 38),
('ivoa.obscore', 'obs_title', 'char', '*', NULL, NULL, 'Title of the observation', 'obscore:DataID.title', NULL, 'meta.title;obs', 0, 0, 1, 39),
('ivoa.obscore', 'site', 'char', '*', NULL, NULL, 'Observatory site', 'cta:ObsConfig.site', NULL, 'meta.id;instr.obsty', 1, 0, 0, 40),
('ivoa.obscore', 'sub_array_name', 'char', '*', NULL, NULL, 'Sub-array (named or the telescope list)', 'cta:ObsConfig.subArray', NULL, 'meta.id;instr.setup', 1, 0, 0, 41),
('ivoa.obscore', 'tel_list', 'char', '*', NULL, NULL, 'Comma-separated telescope identifiers', 'cta:ObsConfig.telList', NULL, 'meta.id;instr.tel', 0, 0, 0, 42),
('ivoa.obscore', 'n_tels', 'int', NULL, NULL, NULL, 'Number of participating telescopes', 'cta:ObsConfig.nTels', NULL, 'meta.number;instr.tel', 0, 0, 0, 43),
('ivoa.obscore', 'pointing_mode', 'char', '*', NULL, NULL, 'Pointing mode: parallel, divergent, convergent or custom', 'cta:ObsConfig.pointingMode', NULL, 'meta.code;instr.setup', 1, 0, 0, 44),
('ivoa.obscore', 'obs_mode', 'char', '*', NULL, NULL, 'Observation mode: wobble, scan, on or off', 'cta:ObsConfig.obsMode', NULL, 'meta.code;obs', 1, 0, 0, 45),
('ivoa.obscore', 'run_type', 'char', '*', NULL, NULL, 'Run type: science, flatfield, SPE, ...', 'cta:ObsConfig.runType', NULL, 'meta.code;obs', 1, 0, 0, 46),
('ivoa.obscore', 'data_quality', 'char', '*', NULL, NULL, 'Data quality flag', 'cta:Provenance.dataQuality', NULL, 'meta.code.qual', 1, 0, 0, 47),
('ivoa.obscore', 'calib_version', 'char', '*', NULL, NULL, 'Calibration software version', 'cta:Provenance.calibVersion', NULL, 'meta.version', 1, 0, 0, 48),
('ivoa.obscore', 'reco_version', 'char', '*', NULL, NULL, 'Reconstruction (pipeline) version', 'cta:Provenance.recoVersion', NULL, 'meta.version', 1, 0, 0, 49),
('ivoa.obscore', 'reco_method', 'char', '*', NULL, NULL, 'Reconstruction method', 'cta:Provenance.recoMethod', NULL, 'meta.code', 1, 0, 0, 50),
('ivoa.obscore', 'applied_cuts', 'char', '*', NULL, NULL, 'Event selection cuts (std, hard, loose, ...)', 'cta:Provenance.appliedCuts', NULL, 'meta.code', 1, 0, 0, 51),
('ivoa.obscore', 'spectral_model', 'char', '*', NULL, NULL, 'Spectral model assumed for the IRFs', 'cta:Provenance.spectralModel', NULL, 'meta.code', 0, 0, 0, 52),
('ivoa.obscore', 'energy_min', 'double', NULL, NULL, NULL, 'Lowest safe energy (same range as em_max)', 'cta:Char.energyMin', 'TeV', 'em.energy;stat.min', 1, 1, 0, 53),
('ivoa.obscore', 'energy_max', 'double', NULL, NULL, NULL, 'Highest safe energy (same range as em_min)', 'cta:Char.energyMax', 'TeV', 'em.energy;stat.max', 1, 1, 0, 54),
('ivoa.obscore', 'event_count', 'long', NULL, NULL, NULL, 'Number of events in the list', 'cta:Stat.eventCount', NULL, 'meta.number;phot.count', 0, 0, 0, 55),
('ivoa.obscore', 'event_energy_min', 'double', NULL, NULL, NULL, 'Lowest event energy', 'cta:Stat.eventEnergyMin', 'TeV', 'em.energy;stat.min;phot', 1, 0, 0, 56),
('ivoa.obscore', 'event_energy_max', 'double', NULL, NULL, NULL, 'Highest event energy', 'cta:Stat.eventEnergyMax', 'TeV', 'em.energy;stat.max;phot', 1, 0, 0, 57),
('ivoa.obscore', 'zenith_angle', 'double', NULL, NULL, NULL, 'Mean zenith angle of the pointing', 'cta:ObsConfig.zenith', 'deg', 'pos.az.zd', 0, 0, 0, 58),
('ivoa.obscore', 'owner_group', 'char', '*', NULL, NULL, 'Group that may read the data before obs_release_date', 'cta:Curation.ownerGroup', NULL, 'meta.id', 1, 0, 0, 59),
('cta.vo_obscore', 'dataproduct_type', 'char', '*', NULL, NULL, 'Data product type: ''event'' for DL3 event lists', 'obscore:ObsDataset.dataProductType', NULL, 'meta.code.class', 1, 1, 1, 0),
('cta.vo_obscore', 'calib_level', 'short', NULL, NULL, NULL, 'Calibration level: 2 for DL3 event lists', 'obscore:ObsDataset.calibLevel', NULL, 'meta.code;obs.calib', 0, 0, 1, 1),
('cta.vo_obscore', 'obs_collection', 'char', '*', NULL, NULL, 'Collection the observation belongs to', 'obscore:DataID.Collection', NULL, 'meta.id', 1, 1, 1, 2),
('cta.vo_obscore', 'obs_id', 'char', '*', NULL, NULL, 'Observation (run) identifier', 'obscore:DataID.observationID', NULL, 'meta.id', 1, 1, 1, 3),
('cta.vo_obscore', 'obs_publisher_did', 'char', '*', NULL, NULL, 'IVOA publisher dataset identifier', 'obscore:Curation.publisherDID', NULL, 'meta.ref.ivoid', 0, 0, 1, 4),
('cta.vo_obscore', 'access_url', 'char', '*', NULL, NULL, 'URL of the event-list file (the service''s download endpoint)', 'obscore:Access.reference', NULL, 'meta.ref.url', 0, 1, 1, 5),
('cta.vo_obscore', 'access_format', 'char', '*', NULL, NULL, 'Format of the file at access_url', 'obscore:Access.format', NULL, 'meta.code.mime', 0, 0, 1, 6),
('cta.vo_obscore', 'access_estsize', 'long', NULL, NULL, NULL, 'Estimated size of the file', 'obscore:Access.size', 'kbyte', 'phys.size;meta.file', 0, 0, 1, 7),
('cta.vo_obscore', 'target_name', 'char', '*', NULL, NULL, 'Name of the observed target', 'obscore:Target.name', NULL, 'meta.id;src', 1, 1, 1, 8),
('cta.vo_obscore', 's_ra', 'double', NULL, NULL, NULL, 'Right ascension (ICRS) of the pointing', 'obscore:Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C1', 'deg', 'pos.eq.ra', 1, 1, 1, 9),
('cta.vo_obscore', 's_dec', 'double', NULL, NULL, NULL, 'Declination (ICRS) of the pointing', 'obscore:Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C2', 'deg', 'pos.eq.dec', 1, 1, 1, 10),
('cta.vo_obscore', 's_fov', 'double', NULL, NULL, NULL, 'Diameter of the field of view', 'obscore:Char.SpatialAxis.Coverage.Bounds.Extent.diameter', 'deg', 'phys.angSize;instr.fov', 0, 0, 1, 11),
('cta.vo_obscore', 's_region', 'char', '*', 'adql:REGION', NULL, 'Field-of-view footprint (a circle of diameter s_fov around the pointing)', 'obscore:Char.SpatialAxis.Coverage.Support.Area', NULL, 'pos.outline;obs.field', 1, 0, 1, 12),
('cta.vo_obscore', 's_resolution', 'double', NULL, NULL, NULL, 'Typical angular resolution (68% containment)', 'obscore:Char.SpatialAxis.Resolution.Refval.value', 'arcsec', 'pos.angResolution', 0, 0, 1, 13),
('cta.vo_obscore', 's_xel1', 'long', NULL, NULL, NULL, 'Number of elements along the first spatial axis (-1: event list)', 'obscore:Char.SpatialAxis.numBins1', NULL, 'meta.number', 0, 0, 1, 14),
('cta.vo_obscore', 's_xel2', 'long', NULL, NULL, NULL, 'Number of elements along the second spatial axis (-1: event list)', 'obscore:Char.SpatialAxis.numBins2', NULL, 'meta.number', 0, 0, 1, 15),
('cta.vo_obscore', 't_min', 'double', NULL, NULL, NULL, 'Start time of the observation (MJD, TT)', 'obscore:Char.TimeAxis.Coverage.Bounds.Limits.StartTime', 'd', 'time.start;obs.exposure', 1, 1, 1, 16),
('cta.vo_obscore', 't_max', 'double', NULL, NULL, NULL, 'End time of the observation (MJD, TT)', 'obscore:Char.TimeAxis.Coverage.Bounds.Limits.StopTime', 'd', 'time.end;obs.exposure', 1, 1, 1, 17),
('cta.vo_obscore', 't_exptime', 'double', NULL, NULL, NULL, 'Live time of the observation', 'obscore:Char.TimeAxis.Coverage.Support.Extent', 's', 'time.duration;obs.exposure', 0, 0, 1, 18),
('cta.vo_obscore', 't_resolution', 'double', NULL, NULL, NULL, 'Time resolution of the events', 'obscore:Char.TimeAxis.Resolution.Refval.value', 's', 'time.resolution', 0, 0, 1, 19),
('cta.vo_obscore', 't_xel', 'long', NULL, NULL, NULL, 'Number of time elements (-1: event list)', 'obscore:Char.TimeAxis.numBins', NULL, 'meta.number', 0, 0, 1, 20),
('cta.vo_obscore', 'em_min', 'double', NULL, NULL, NULL, 'Shortest wavelength covered (from energy_max)', 'obscore:Char.SpectralAxis.Coverage.Bounds.Limits.LoLimit', 'm', 'em.wl;stat.min', 0, 0, 1, 21),
('cta.vo_obscore', 'em_max', 'double', NULL, NULL, NULL, 'Longest wavelength covered (from energy_min)', 'obscore:Char.SpectralAxis.Coverage.Bounds.Limits.HiLimit', 'm', 'em.wl;stat.max', 0, 0, 1, 22),
('cta.vo_obscore', 'em_res_power', 'double', NULL, NULL, NULL, 'Spectral resolving power E/dE', 'obscore:Char.SpectralAxis.Resolution.ResolPower.refVal', NULL, 'spect.resolution', 0, 0, 1, 23),
('cta.vo_obscore', 'em_xel', 'long', NULL, NULL, NULL, 'Number of spectral elements (-1: event list)', 'obscore:Char.SpectralAxis.numBins', NULL, 'meta.number', 0, 0, 1, 24),
('cta.vo_obscore', 'o_ucd', 'char', '*', NULL, NULL, 'UCD of the observable', 'obscore:Char.ObservableAxis.ucd', NULL, 'meta.ucd', 0, 0, 1, 25),
('cta.vo_obscore', 'pol_states', 'char', '*', NULL, NULL, 'Polarisation states (none)', 'obscore:Char.PolarizationAxis.stateList', NULL, 'meta.code;phys.polarization', 0, 0, 1, 26),
('cta.vo_obscore', 'pol_xel', 'long', NULL, NULL, NULL, 'Number of polarisation elements', 'obscore:Char.PolarizationAxis.numBins', NULL, 'meta.number', 0, 0, 1, 27),
('cta.vo_obscore', 'facility_name', 'char', '*', NULL, NULL, 'Observatory (H.E.S.S., CTAO ...)', 'obscore:Provenance.ObsConfig.Facility.name', NULL, 'meta.id;instr.tel', 1, 0, 1, 28),
('cta.vo_obscore', 'instrument_name', 'char', '*', NULL, NULL, 'Instrument', 'obscore:Provenance.ObsConfig.Instrument.name', NULL, 'meta.id;instr', 1, 1, 1, 29),
('cta.vo_obscore', 'dataproduct_subtype', 'char', '*', NULL, NULL, 'CTA data level (DL0 .. DL5)', 'obscore:ObsDataset.dataProductSubtype', NULL, 'meta.code.class', 1, 0, 1, 30),
('cta.vo_obscore', 'obs_release_date', 'char', '*', 'timestamp', NULL, 'Date the data become public (ISO 8601, UTC)', 'obscore:Curation.releaseDate', NULL, 'time.release', 1, 0, 1, 31),
('cta.vo_obscore', 'data_rights', 'char', '*', NULL, NULL, 'Data rights: public, secure or proprietary', 'obscore:Curation.rights', NULL, 'meta.code', 1, 0, 1, 32),
('cta.vo_obscore', 's_resolution_min', 'double', NULL, NULL, NULL, 'Best angular resolution', 'obscore:Char.SpatialAxis.Resolution.Bounds.Limits.LoLimit', 'arcsec', 'pos.angResolution;stat.min', 0, 0, 1, 33),
('cta.vo_obscore', 's_resolution_max', 'double', NULL, NULL, NULL, 'Worst angular resolution', 'obscore:Char.SpatialAxis.Resolution.Bounds.Limits.HiLimit', 'arcsec', 'pos.angResolution;stat.max', 0, 0, 1, 34),
('cta.vo_obscore', 'proposal_id', 'char', '*', NULL, NULL, 'Proposal the observation was made for', 'obscore:Provenance.Proposal.identifier', NULL, 'meta.id;obs.proposal', 1, 0, 1, 35),
('cta.vo_obscore', 'target_class', 'char', '*', NULL, NULL, 'Class of the target (pwn, snr, blazar, ...)', 'obscore:Target.class', NULL, 'src.class', 1, 0, 1, 36),
('cta.vo_obscore', 'obs_creator_did', 'char', '*', NULL, NULL, 'Identifier given by the data creator', 'obscore:DataID.creatorDID', NULL, 'meta.id', 0, 0, 1, 37),
('cta.vo_obscore', 'obs_creator_name', 'char', '*', NULL, NULL, 'Data creator', 'obscore:DataID.Creator', NULL, 'meta.id', 0, 0, 1, 38),
('cta.vo_obscore', 'obs_title', 'char', '*', NULL, NULL, 'Title of the observation', 'obscore:DataID.title', NULL, 'meta.title;obs', 0, 0, 1, 39),
('cta.vo_obscore', 'site', 'char', '*', NULL, NULL, 'Observatory site', 'cta:ObsConfig.site', NULL, 'meta.id;instr.obsty', 1, 0, 0, 40),
('cta.vo_obscore', 'sub_array_name', 'char', '*', NULL, NULL, 'Sub-array (named or the telescope list)', 'cta:ObsConfig.subArray', NULL, 'meta.id;instr.setup', 1, 0, 0, 41),
('cta.vo_obscore', 'tel_list', 'char', '*', NULL, NULL, 'Comma-separated telescope identifiers', 'cta:ObsConfig.telList', NULL, 'meta.id;instr.tel', 0, 0, 0, 42),
('cta.vo_obscore', 'n_tels', 'int', NULL, NULL, NULL, 'Number of participating telescopes', 'cta:ObsConfig.nTels', NULL, 'meta.number;instr.tel', 0, 0, 0, 43),
('cta.vo_obscore', 'pointing_mode', 'char', '*', NULL, NULL, 'Pointing mode: parallel, divergent, convergent or custom', 'cta:ObsConfig.pointingMode', NULL, 'meta.code;instr.setup', 1, 0, 0, 44),
('cta.vo_obscore', 'obs_mode', 'char', '*', NULL, NULL, 'Observation mode: wobble, scan, on or off', 'cta:ObsConfig.obsMode', NULL, 'meta.code;obs', 1, 0, 0, 45),
('cta.vo_obscore', 'run_type', 'char', '*', NULL, NULL, 'Run type: science, flatfield, SPE, ...', 'cta:ObsConfig.runType', NULL, 'meta.code;obs', 1, 0, 0, 46),
('cta.vo_obscore', 'data_quality', 'char', '*', NULL, NULL, 'Data quality flag', 'cta:Provenance.dataQuality', NULL, 'meta.code.qual', 1, 0, 0, 47),
('cta.vo_obscore', 'calib_version', 'char', '*', NULL, NULL, 'Calibration software version', 'cta:Provenance.calibVersion', NULL, 'meta.version', 1, 0, 0, 48),
('cta.vo_obscore', 'reco_version', 'char', '*', NULL, NULL, 'Reconstruction (pipeline) version', 'cta:Provenance.recoVersion', NULL, 'meta.version', 1, 0, 0, 49),
('cta.vo_obscore', 'reco_method', 'char', '*', NULL, NULL, 'Reconstruction method', 'cta:Provenance.recoMethod', NULL, 'meta.code', 1, 0, 0, 50),
('cta.vo_obscore', 'applied_cuts', 'char', '*', NULL, NULL, 'Event selection cuts (std, hard, loose, ...)', 'cta:Provenance.appliedCuts', NULL, 'meta.code', 1, 0, 0, 51),
('cta.vo_obscore', 'spectral_model', 'char', '*', NULL, NULL, 'Spectral model assumed for the IRFs', 'cta:Provenance.spectralModel', NULL, 'meta.code', 0, 0, 0, 52),
('cta.vo_obscore', 'energy_min', 'double', NULL, NULL, NULL, 'Lowest safe energy (same range as em_max)', 'cta:Char.energyMin', 'TeV', 'em.energy;stat.min', 1, 1, 0, 53),
('cta.vo_obscore', 'energy_max', 'double', NULL, NULL, NULL, 'Highest safe energy (same range as em_min)', 'cta:Char.energyMax', 'TeV', 'em.energy;stat.max', 1, 1, 0, 54),
('cta.vo_obscore', 'event_count', 'long', NULL, NULL, NULL, 'Number of events in the list', 'cta:Stat.eventCount', NULL, 'meta.number;phot.count', 0, 0, 0, 55),
('cta.vo_obscore', 'event_energy_min', 'double', NULL, NULL, NULL, 'Lowest event energy', 'cta:Stat.eventEnergyMin', 'TeV', 'em.energy;stat.min;phot', 1, 0, 0, 56),
('cta.vo_obscore', 'event_energy_max', 'double', NULL, NULL, NULL, 'Highest event energy', 'cta:Stat.eventEnergyMax', 'TeV', 'em.energy;stat.max;phot', 1, 0, 0, 57),
('cta.vo_obscore', 'zenith_angle', 'double', NULL, NULL, NULL, 'Mean zenith angle of the pointing', 'cta:ObsConfig.zenith', 'deg', 'pos.az.zd', 0, 0, 0, 58),
('cta.vo_obscore', 'owner_group', 'char', '*', NULL, NULL, 'Group that may read the data before obs_release_date', 'cta:Curation.ownerGroup', NULL, 'meta.id', 1, 0, 0, 59),
('tap_schema.schemas', 'schema_name', 'char', '*', NULL, NULL, 'schema name', NULL, NULL, NULL, 0, 1, 1, 0),
('tap_schema.schemas', 'utype', 'char', '*', NULL, NULL, 'utype', NULL, NULL, NULL, 0, 1, 1, 1),
('tap_schema.schemas', 'description', 'char', '*', NULL, NULL, 'description', NULL, NULL, NULL, 0, 1, 1, 2),
('tap_schema.schemas', 'schema_index', 'int', NULL, NULL, NULL, 'order of display', NULL, NULL, NULL, 0, 1, 1, 3),
('tap_schema.tables', 'schema_name', 'char', '*', NULL, NULL, 'schema the table belongs to', NULL, NULL, NULL, 0, 1, 1, 0),
('tap_schema.tables', 'table_name', 'char', '*', NULL, NULL, 'fully qualified table name', NULL, NULL, NULL, 0, 1, 1, 1),
('tap_schema.tables', 'table_type', 'char', '*', NULL, NULL, 'table or view', NULL, NULL, NULL, 0, 1, 1, 2),
('tap_schema.tables', 'utype', 'char', '*', NULL, NULL, 'utype', NULL, NULL, NULL, 0, 1, 1, 3),
('tap_schema.tables', 'description', 'char', '*', NULL, NULL, 'description', NULL, NULL, NULL, 0, 1, 1, 4),
('tap_schema.tables', 'table_index', 'int', NULL, NULL, NULL, 'order of display', NULL, NULL, NULL, 0, 1, 1, 5),
('tap_schema.columns', 'table_name', 'char', '*', NULL, NULL, 'fully qualified table name', NULL, NULL, NULL, 0, 1, 1, 0),
('tap_schema.columns', 'column_name', 'char', '*', NULL, NULL, 'column name', NULL, NULL, NULL, 0, 1, 1, 1),
('tap_schema.columns', 'datatype', 'char', '*', NULL, NULL, 'ADQL datatype', NULL, NULL, NULL, 0, 1, 1, 2),
('tap_schema.columns', 'arraysize', 'char', '*', NULL, NULL, 'array size', NULL, NULL, NULL, 0, 1, 1, 3),
('tap_schema.columns', 'xtype', 'char', '*', NULL, NULL, 'extended type', NULL, NULL, NULL, 0, 1, 1, 4),
('tap_schema.columns', '"size"', 'int', NULL, NULL, NULL, 'deprecated size (delimited: SIZE is an ADQL reserved word)', NULL, NULL, NULL, 0, 1, 1, 5),
('tap_schema.columns', 'description', 'char', '*', NULL, NULL, 'description', NULL, NULL, NULL, 0, 1, 1, 6),
('tap_schema.columns', 'utype', 'char', '*', NULL, NULL, 'utype', NULL, NULL, NULL, 0, 1, 1, 7),
('tap_schema.columns', 'unit', 'char', '*', NULL, NULL, 'unit', NULL, NULL, NULL, 0, 1, 1, 8),
('tap_schema.columns', 'ucd', 'char', '*', NULL, NULL, 'UCD', NULL, NULL, NULL, 0, 1, 1, 9),
('tap_schema.columns', 'indexed', 'int', NULL, NULL, NULL, '1 if indexed', NULL, NULL, NULL, 0, 1, 1, 10),
('tap_schema.columns', 'principal', 'int', NULL, NULL, NULL, '1 if principal', NULL, NULL, NULL, 0, 1, 1, 11),
('tap_schema.columns', 'std', 'int', NULL, NULL, NULL, '1 if standard', NULL, NULL, NULL, 0, 1, 1, 12),
('tap_schema.columns', 'column_index', 'int', NULL, NULL, NULL, 'order of display', NULL, NULL, NULL, 0, 1, 1, 13),
('tap_schema.keys', 'key_id', 'char', '*', NULL, NULL, 'key identifier', NULL, NULL, NULL, 0, 1, 1, 0),
('tap_schema.keys', 'from_table', 'char', '*', NULL, NULL, 'table with the foreign key', NULL, NULL, NULL, 0, 1, 1, 1),
('tap_schema.keys', 'target_table', 'char', '*', NULL, NULL, 'table with the primary key', NULL, NULL, NULL, 0, 1, 1, 2),
('tap_schema.keys', 'description', 'char', '*', NULL, NULL, 'description', NULL, NULL, NULL, 0, 1, 1, 3),
('tap_schema.keys', 'utype', 'char', '*', NULL, NULL, 'utype', NULL, NULL, NULL, 0, 1, 1, 4),
('tap_schema.key_columns', 'key_id', 'char', '*', NULL, NULL, 'key identifier', NULL, NULL, NULL, 0, 1, 1, 0),
('tap_schema.key_columns', 'from_column', 'char', '*', NULL, NULL, 'key column in from_table', NULL, NULL, NULL, 0, 1, 1, 1),
('tap_schema.key_columns', 'target_column', 'char', '*', NULL, NULL, 'key column in target_table', NULL, NULL, NULL, 0, 1, 1, 2);

CREATE TABLE IF NOT EXISTS archive.api_token (
    token_sha256 text PRIMARY KEY,
    name text NOT NULL,
    groups text[] NOT NULL DEFAULT '{}',
    created timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON archive.api_token FROM PUBLIC;

CREATE SCHEMA IF NOT EXISTS uws;
CREATE TABLE IF NOT EXISTS uws.job (
    job_id text PRIMARY KEY,
    job_type text NOT NULL,
    owner text NOT NULL,
    groups text[] NOT NULL DEFAULT '{}',
    phase text NOT NULL,
    parameters jsonb NOT NULL,
    run_id text,
    created timestamptz NOT NULL DEFAULT now(),
    started timestamptz,
    ended timestamptz,
    destruction timestamptz NOT NULL,
    execution_duration integer NOT NULL,
    error text,
    results jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS job_owner_idx ON uws.job (owner, job_type, created);
REVOKE ALL ON SCHEMA uws FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.square_degrees(double precision) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$ SELECT $1 * (180.0 / pi())^2 $$;
