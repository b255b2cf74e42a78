"""Grading a class: `grader grade SUBMISSIONS --out DIR`.

The stages, one module each:

* intake.py: from the download as it comes to the submissions to grade: who handed in (the
  layout's ids, then the roster: roster.py), what (submissions.py), and when (the collection
  system's time or the instructor's times CSV: times.py), each student inside an error boundary.
* downloads/: one module per download layout (Canvas, Moodle, Gradescope, GitHub Classroom,
  folders, nbgrader), read through tree.py (a folder and a zip alike).
* submissions.py: one student's files (folders, zips, loose LMS files, notebooks), read without
  running anything; every problem becomes a message for that student or exercise.
* lateness.py: what being late costs (due dates, extensions, the late policy).
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
