"""Grading a class: `grader grade SUBMISSIONS --out DIR`.

The stages, one module each:

* submissions.py: students and their files (folders, zips, notebooks, nbgrader), read without
  running anything; every problem becomes a message for that student or exercise.
* judge.py: grades one student in a judge process: checks and reference solutions here, the
  student's code in sandbox workers forked from this judge's zygote.
* review.py (its tables in allowlist.py): the judge's review of the source, read before any of
  the student's code runs; what is outside the Python a course exercise needs is a finding.
* scheduler.py: who needs grading (the gradebook's keys), judges in parallel, results committed
  as they arrive, reports written at the end.
* cluster.py: `--cluster`: the same judges on Dask workers (one each), results sent back to
  the scheduler's commit as JSON text.
* gradebook.py: the SQLite gradebook that makes a run resumable.
* cli_grade.py: the click command.

Reports (grades.csv, grades.json, feedback/, the terminal table) are in grader/reports/.
"""
