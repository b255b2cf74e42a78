"""What a grading run writes: grades.csv, grades.json, per-student feedback, the terminal summary."""
