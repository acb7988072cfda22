"""The README's two set-up commands and .ci/run must stay the same commands."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_setup_commands():
    text = (ROOT / "README.md").read_text()
    block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_opens_with_two_commands():
    text = (ROOT / "README.md").read_text()
    assert text.index("```bash") < text.index("\n## ")
    assert len(readme_setup_commands()) == 2


def test_ci_runs_exactly_the_readme_commands():
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith(("#", "set ", "cd "))]
    assert ci == readme_setup_commands()
