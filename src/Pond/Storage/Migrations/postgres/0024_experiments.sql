-- Experiments (A/B), docs/experiments.md. kind live_code: variants are live codes of one channel, visitors of the
-- experiment's short link (/x/{slug}) are assigned by hashing; kind journey_branch: variants are the branches of a
-- journey's random step, which already assigns customers by hashing. Rates and money as the rest of Pond (fen, unix ms).
CREATE TABLE experiments (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name text NOT NULL,
    hypothesis text,
    kind text NOT NULL,
    status text NOT NULL,
    slug text UNIQUE,
    channel_id uuid,
    journey_id uuid,
    step_id text,
    primary_metric text NOT NULL,
    guardrails text NOT NULL DEFAULT '[]',
    conversion_event text,
    window_days integer NOT NULL,
    alpha double precision NOT NULL,
    power double precision NOT NULL,
    baseline double precision,
    mde double precision,
    sd double precision,
    sample_override bigint,
    planned_per_group bigint NOT NULL,
    keep_variant integer NOT NULL DEFAULT 0,
    created_by text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    started_at bigint,
    stopped_at bigint
);
CREATE INDEX ix_experiments_workspace ON experiments (workspace_id, created_at);

-- position 0 is the control. code_id (and an optional hook shown on the landing instead of the channel's) for live_code
-- experiments; for journey ones the variant is the branch branch_{position+1}.
CREATE TABLE experiment_variants (
    experiment_id uuid NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    position integer NOT NULL,
    name text NOT NULL,
    code_id uuid,
    hook text,
    weight integer NOT NULL,
    PRIMARY KEY (experiment_id, position)
);

-- A visitor of a live_code experiment's link, assigned once (the hash decides; the row records when and counts the unit).
CREATE TABLE experiment_assignments (
    experiment_id uuid NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    visitor text NOT NULL,
    variant integer NOT NULL,
    assigned_at bigint NOT NULL,
    PRIMARY KEY (experiment_id, visitor)
);
CREATE INDEX ix_experiment_assignments_variant ON experiment_assignments (experiment_id, variant);

-- What a running experiment holds (code:{id}, step:{journey}:{step}): the unique key keeps two running experiments off
-- the same live code or journey step, whichever node starts them.
CREATE TABLE experiment_subjects (
    workspace_id uuid NOT NULL,
    subject text NOT NULL,
    experiment_id uuid NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    PRIMARY KEY (workspace_id, subject)
);
