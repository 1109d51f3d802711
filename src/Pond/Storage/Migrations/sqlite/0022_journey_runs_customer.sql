-- The customer index without `state`: a run that ends changes its state, and with state in the key every ending moved
-- an entry in an index ordered by customer, one random page per run. Lookups by customer and journey read a handful of
-- rows and filter the state on them.
DROP INDEX ix_journey_runs_customer;
CREATE INDEX ix_journey_runs_customer ON journey_runs (customer_id, journey_id);
