"""torchgrade: exercises, hidden checks and a sandboxed grader for a PyTorch course."""

__version__ = "2026.1"
