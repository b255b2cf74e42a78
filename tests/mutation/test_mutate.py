"""grader mutate: the operators make the mistakes they name, only inside the answer, and the
runner kills a known-bad mutant, reports a known survivor, and re-proves recorded equivalents."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.course import load_course
from grader.mutation import generate_mutants, mutate_exercise, prove_equivalents

SOURCE = textwrap.dedent('''
    import torch


    def outside(x):
        return x.sum() + 1


    def step(net, opt, X, y, loss):
        """Docstrings and signatures are the course's."""
        ### BEGIN SOLUTION
        net.train()
        opt.zero_grad()
        l = loss(net(X), y).sum()
        l.backward()
        opt.step()
        with torch.no_grad():
            total = X.clone().to(torch.float64).sum(dim=0)
        for i in range(len(X)):
            total += i
        if l > 0:
            raise ValueError("negative")
        return total, l
        ### END SOLUTION
''')


def _diffs(operator: str) -> list[tuple[str, str]]:
    return [(m.original, m.mutated) for m in generate_mutants(SOURCE, (operator,))]


def test_mutants_stay_inside_the_solution_block():
    mutants = generate_mutants(SOURCE)
    assert mutants
    assert all(12 <= m.lineno <= 24 for m in mutants)
    assert not any("outside" in m.original or "+ 1" in m.original for m in mutants)
    for m in mutants:
        compile(m.source, "<mutant>", "exec")
        assert m.source != SOURCE


@pytest.mark.parametrize("operator, before, after", [
    ("drop-statement", "opt.zero_grad()", "pass"),
    ("drop-statement", "net.train()", "pass"),
    ("no-grad", "with torch.no_grad():", "with torch.enable_grad():"),
    ("drop-call", "total = X.clone().to(torch.float64).sum(dim=0)", "total = X.to(torch.float64).sum(dim=0)"),
    ("dtype", "total = X.clone().to(torch.float64).sum(dim=0)", "total = X.clone().to(torch.float32).sum(dim=0)"),
    ("dtype", "total = X.clone().to(torch.float64).sum(dim=0)", "total = X.clone().sum(dim=0)"),
    ("reduction", "total = X.clone().to(torch.float64).sum(dim=0)", "total = X.clone().to(torch.float64).mean(dim=0)"),
    ("constant", "total = X.clone().to(torch.float64).sum(dim=0)", "total = X.clone().to(torch.float64).sum(dim=1)"),
    ("keyword", "total = X.clone().to(torch.float64).sum(dim=0)", "total = X.clone().to(torch.float64).sum()"),
    ("range", "for i in range(len(X)):", "for i in range(len(X) - 1):"),
    ("inplace", "total += i", "total = total + i"),
    ("arith", "total += i", "total -= i"),
    ("compare", "if l > 0:", "if l >= 0:"),
    ("raise", 'raise ValueError("negative")', "pass"),
    ("order", "l.backward() opt.step()", "opt.step() l.backward()"),
    ("order", "return total, l", "return l, total"),
])
def test_each_operator_makes_its_mistake(operator, before, after):
    assert (before, after) in _diffs(operator)


def test_identical_lines_get_distinct_keys():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    y = x + 1\n    y = x + 1\n    return y\n    ### END SOLUTION\n"
    keys = [m.key for m in generate_mutants(source, ("arith",))]
    assert len(keys) == len(set(keys)) == 2


@pytest.fixture
def dropout_course(one_exercise_course) -> Path:
    """A course holding ch4.dropout alone, without its recorded equivalents."""
    return one_exercise_course("ch4.dropout")


RAISE = 'raise: raise ValueError(f"dropout_prob must be between 0 and 1, got {dropout_prob}") -> pass'
SURVIVOR = ("compare: keep = torch.rand(X.shape, device=X.device) > dropout_prob -> "
            "keep = torch.rand(X.shape, device=X.device) >= dropout_prob")


def test_kills_a_known_bad_mutant_and_reports_a_known_survivor(dropout_course):
    course = load_course(dropout_course)
    report = mutate_exercise(course, "ch4.dropout", keys=[RAISE, SURVIVOR])
    status = {r.mutant.key: r for r in report.results}
    assert status[RAISE].status == "killed"
    assert any("raises" in name for name in status[RAISE].failed)
    assert status[SURVIVOR].status == "survived"
    assert not report.ok and report.score == 50.0


def test_the_cli_prints_the_score_and_each_survivor(dropout_course):
    result = CliRunner().invoke(main, ["--course", str(dropout_course), "mutate", "--exercise", "ch4.dropout",
                                       "--operator", "compare", "--toml"])
    assert result.exit_code == 1, result.output
    assert "ch4.dropout:" in result.output and "survived L86 [compare]" in result.output
    assert 'mutant = "compare: keep = torch.rand' in result.output


def test_recorded_equivalents_are_proven_again(dropout_course):
    variants = dropout_course / "solutions/ch4/variants/dropout"
    variants.mkdir(parents=True)
    course = load_course(dropout_course)
    (variants / "equivalent.toml").write_text(f'[[equivalent]]\nmutant = "{SURVIVOR}"\nreason = "U == p never"\n')
    assert prove_equivalents(course, "ch4.dropout") == []
    # a record of a mutant the checks kill is not equivalent; one of a mutant never made is stale
    (variants / "equivalent.toml").write_text(f"[[equivalent]]\nmutant = '{RAISE}'\nreason = \"wrong\"\n"
                                              "[[equivalent]]\nmutant = \"arith: gone -> away\"\nreason = \"old\"\n")
    problems = prove_equivalents(course, "ch4.dropout")
    assert len(problems) == 2
    assert any("no longer generated" in p and "gone -> away" in p for p in problems)
    assert any("test_probability_outside_range_raises" in p or "raises" in p for p in problems)


def test_the_readme_table_keeps_the_rows_not_run(tmp_path):
    from grader.mutation.run import ExerciseReport, MutantResult
    from grader.mutation.operators import Mutant
    from grader.mutation.table import write_table
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- mutation:start -->\n| exercise | x |\n| `ch2.old` | 1 | 1 | 0 | 0 | 100.0 % |\n"
                      "<!-- mutation:end -->\nafter\n")
    m = Mutant("raise", 1, "raise X", "pass", "")
    report = ExerciseReport("ch4.dropout", [MutantResult(m, "killed"), MutantResult(m, "survived")])
    write_table(readme, [report], order=["ch2.old", "ch4.dropout"])
    text = readme.read_text()
    assert "| `ch2.old` | 1 | 1 | 0 | 0 | 100.0 % |" in text
    assert "| `ch4.dropout` | 2 | 1 | 0 | 1 | 50.0 % |" in text
    assert text.startswith("intro\n") and text.endswith("after\n")
    assert text.index("ch2.old") < text.index("ch4.dropout")
