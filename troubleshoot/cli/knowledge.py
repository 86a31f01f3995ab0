"""`troubleshoot questions` and `troubleshoot rules check|list`: the knowledge base, listed and
checked. Thin: parse, call the core, print, set the exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from troubleshoot.cli.common import RulesOption, app, fail
from troubleshoot.errors import TroubleshootError

rules_app = typer.Typer(
    help="Inspect and check the knowledge base in rules/.", no_args_is_help=True
)
app.add_typer(rules_app, name="rules")


@app.command()
def questions(
    template: Annotated[
        Path | None,
        typer.Option(
            "--template",
            help="Write a fill-in answers file here ('-' for stdout).",
            show_default=False,
        ),
    ] = None,
    rules: RulesOption = None,
) -> None:
    """List every question: id, type, choices and when it is asked."""
    from troubleshoot.checks import answers_template, question_table
    from troubleshoot.files import write_file
    from troubleshoot.kb import load_knowledge_base
    from troubleshoot.text import visible

    try:
        kb = load_knowledge_base(rules)
        if template is None:
            typer.echo(question_table(kb), nl=False)
        elif str(template) == "-":
            typer.echo(answers_template(kb), nl=False)
        else:
            write_file(answers_template(kb), template)
            typer.echo(f"Answers template written to {visible(str(template))}", err=True)
    except TroubleshootError as error:
        fail(error)


@rules_app.command("check")
def rules_check(rules: RulesOption = None) -> None:
    """Validate the knowledge base and prove every conclusion can be reached."""
    from troubleshoot.checks import check_reachability, summary
    from troubleshoot.errors import KnowledgeBaseError
    from troubleshoot.kb import load_knowledge_base

    try:
        kb = load_knowledge_base(rules)
        problems = check_reachability(kb)  # compiling the rulebook can find problems too
    except KnowledgeBaseError as error:
        for problem in error.problems:
            typer.echo(problem, err=True)
        typer.echo(f"{len(error.problems)} problem(s) found.", err=True)
        raise typer.Exit(1) from None
    except TroubleshootError as error:
        fail(error)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) found.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Knowledge base OK: {summary(kb)}")


@rules_app.command("list")
def rules_list(rules: RulesOption = None) -> None:
    """Show the knowledge base: red flags, symptoms with causes and solutions, and the rest."""
    from troubleshoot.checks import knowledge_listing
    from troubleshoot.kb import load_knowledge_base

    try:
        typer.echo(knowledge_listing(load_knowledge_base(rules)), nl=False)
    except TroubleshootError as error:
        fail(error)
