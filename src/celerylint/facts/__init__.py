"""Per-file facts: one pass over one file's ``ast`` produces plain, picklable data
(apps, config writes, task definitions, call sites, body events) with exact positions,
plus the static value evaluator those facts are made of. Nothing here looks at another
file: linking files together is the model's job."""
