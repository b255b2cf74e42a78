"""Everything that leaves the course repository in another shape.

notebooks    the .ipynb per exercise (jupytext), README Colab badges, and the grader/course_data
             copy (course.toml + visible tests) the student release ships for `grader.notebook.check`
release      `grader release OUT`: the student release and its leak scan (cli_release.py)
nbgrader     nbgrader course export and grading of nbgrader's submitted/ layout (cli_interop.py)
gradescope   the Gradescope autograder zip (cli_interop.py)
"""
