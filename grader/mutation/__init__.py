"""Mutation testing of the course's checks: `grader mutate`.

Each reference solution's answer (the code between `### BEGIN SOLUTION` and `### END SOLUTION`)
is changed one plausible student mistake at a time (operators.py); every mutant runs through the
exercise's visible and hidden checks in a child forked from one warm process (run.py); a mutant
no check fails either shows a missing check or is recorded, with a reason, as equivalent to the
reference in the exercise's variants folder (equivalent.py), where `grader validate` re-proves it.
"""

from grader.mutation.equivalent import EQUIVALENT_FILE, EquivalentRecord, load_records
from grader.mutation.operators import OPERATORS, Mutant, generate_mutants, solution_lines
from grader.mutation.run import ExerciseReport, MutantResult, mutate_exercise, prove_equivalents

__all__ = ["EQUIVALENT_FILE", "OPERATORS", "EquivalentRecord", "ExerciseReport", "Mutant", "MutantResult",
           "generate_mutants", "load_records", "mutate_exercise", "prove_equivalents", "solution_lines"]
