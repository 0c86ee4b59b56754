"""The README documents every command, and every command's --help has an example."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from pressbox.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            found += all_commands(command, full + " ")
        else:
            found.append((full, command))
    return found


COMMANDS = all_commands(cli)


def test_there_are_commands_to_check() -> None:
    assert {"crawl", "demo", "export", "search", "source add", "db upgrade"} <= {
        name for name, _ in COMMANDS
    }


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_each_command_is_in_the_readme_and_its_help_has_an_example(
    name: str, command: click.Command
) -> None:
    group, _, sub = name.rpartition(" ")
    # a group's commands may be listed together: `pressbox schedule list` / `pause NAME` / ...
    listed = bool(group) and f"pressbox {group}" in README and f"`{sub}" in README
    assert f"pressbox {name}" in README or listed, f"README does not mention `pressbox {name}`"
    assert command.help, f"`pressbox {name}` has no help text"
    assert "Example" in command.help, f"`pressbox {name} --help` shows no example"
