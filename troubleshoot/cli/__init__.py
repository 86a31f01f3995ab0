"""The command line, on top of every other layer: `common` (the shared app, options, output and
error mapping), one module per command group (`assess`, `knowledge`, `batch`, `staff`,
`followup`, `schedule`, `privacy`, `upkeep`), and `entry`, the entry point that imports the
groups. Thin: parse, call the core, print, set the exit code.

May import: every layer of the package.
"""

from troubleshoot.cli.entry import app, main

__all__ = ["app", "main"]
