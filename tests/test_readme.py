"""README's two setup commands are what CI and users run; keep them and CI in step."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _readme_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```bash\n(.*?)```", readme, re.DOTALL).group(1)
    return [line for line in first_block.splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert readme.index("```bash") < readme.index("\n## ")  # the commands come first
    commands = _readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith("python -m compare_gan_tf.main")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci_script = (ROOT / ".ci" / "run").read_text().splitlines()
    assert _readme_commands()[1] in ci_script


def test_readme_commands_take_whichever_python3_the_machine_has():
    # setup.py accepts Python 3.11 to 3.13: no command may name one minor version.
    assert all(command.startswith("python3 -m venv .venv && ") for command in _readme_commands())
