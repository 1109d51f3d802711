-- Experiments (A/B), docs/experiments.md. kind live_code: variants are live codes of one channel, visitors of the
-- experiment's short link (/x/{slug}) are assigned by hashing; kind journey_branch: variants are the branches of a
-- journey's random step, which already assigns customers by hashing. Rates and money as the rest of Pond (fen, unix ms).
CREATE TABLE experiments (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    hypothesis TEXT,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    slug TEXT UNIQUE,
    channel_id TEXT,
    journey_id TEXT,
    step_id TEXT,
    primary_metric TEXT NOT NULL,
    guardrails TEXT NOT NULL DEFAULT '[]',
    conversion_event TEXT,
    window_days INTEGER NOT NULL,
    alpha REAL NOT NULL,
    power REAL NOT NULL,
    baseline REAL,
    mde REAL,
    sd REAL,
    sample_override BIGINT,
    planned_per_group BIGINT NOT NULL,
    keep_variant INTEGER NOT NULL DEFAULT 0,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    started_at BIGINT,
    stopped_at BIGINT
);
CREATE INDEX ix_experiments_workspace ON experiments (workspace_id, created_at);

-- position 0 is the control. code_id (and an optional hook shown on the landing instead of the channel's) for live_code
-- experiments; for journey ones the variant is the branch branch_{position+1}.
CREATE TABLE experiment_variants (
    experiment_id TEXT NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    code_id TEXT,
    hook TEXT,
    weight INTEGER NOT NULL,
    PRIMARY KEY (experiment_id, position)
);

-- A visitor of a live_code experiment's link, assigned once (the hash decides; the row records when and counts the unit).
CREATE TABLE experiment_assignments (
    experiment_id TEXT NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    visitor TEXT NOT NULL,
    variant INTEGER NOT NULL,
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (experiment_id, visitor)
);
CREATE INDEX ix_experiment_assignments_variant ON experiment_assignments (experiment_id, variant);

-- What a running experiment holds (code:{id}, step:{journey}:{step}): the unique key keeps two running experiments off
-- the same live code or journey step, whichever node starts them.
CREATE TABLE experiment_subjects (
    workspace_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    experiment_id TEXT NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    PRIMARY KEY (workspace_id, subject)
);
