"""`make bench`: the performance harness.

`python -m benchmarks` builds a synthetic organisation in a throwaway PostgreSQL database,
measures the domain modules, the dashboards, the PDF reports and autosave under load, prints
a table and writes `benchmarks/results.json`. Nothing here is a timed assert in `make test`.

Modules: `database` (the throwaway database), `fixtures` (the synthetic organisations),
`stats` (result entries), `domain`, `pages`, `pdfs`, `autosave` (the measurements),
`evidence` (simulations of the enabler-lift statistics, and as the part `claims` the audit
of dashboard claims in null organisations, `null_dashboards`; no database).
"""
