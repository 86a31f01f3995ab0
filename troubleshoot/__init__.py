"""troubleshoot: rule-based ergonomic troubleshooting for desk workers.

The sub-packages are layers; data flows downward through them, and a module may import only
its own layer and the ones below it (tests/test_layering.py enforces this):

1. the foundation: `errors` (the one error hierarchy), `files` (bundled data, safe writing),
   `text` (free text made safe to show, quote, or write to a spreadsheet or Markdown)
   and `conditions` (the condition language the knowledge base, the workstation score, the
   engine and the questionnaire all speak);
2. `rosa`: the workstation score (ROSA);
3. `kb`: the knowledge base, loaded from rules/*.yaml into frozen types;
4. `engine`: the rulebook and the durable_rules adapter (answers -> facts -> conclusions);
5. `assess`: answers checking, running an assessment, the result;
6. `checks`: proofs and listings of the knowledge base (`rules check`, `rules list`);
7. `store`: the database (the only package that talks SQL);
8. `report`: rendering results and cohort reports (the one Jinja environment);
9. `oh`: occupational-health work: staff listings, exports, cohort, batch;
10. `interview`: the adaptive questionnaire and its draft;
11. `cli`: the command line, on top.
"""

__version__ = "0.1.0"
