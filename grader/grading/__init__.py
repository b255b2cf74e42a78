"""Grading a class: finding submissions, judging each student, scheduling judges, the gradebook."""
