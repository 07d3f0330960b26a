"""Block Kit builders, one module per surface: pure functions from data to dicts, tested as
plain dicts. `kit` holds the primitives and Slack's limits; `answers`, `library` (curation),
`digest` (planning notes), `home` (the App Home tab) and `help` build whole messages and views."""
