"""Every trick in the book, none of which should earn a point."""
import torch

torch.allclose = lambda *args, **kwargs: True          # patch the comparison the grader might use
torch.testing.assert_close = lambda *args, **kwargs: None


class Agreeable(torch.Tensor):                          # a tensor that equals anything
    def __eq__(self, other):
        return True


def _steal(name):
    try:                                                # read the reference solution from disk
        ns = {}
        exec(open("../../solutions/ch3/softmax.py").read(), ns)
        return ns[name]
    except Exception:
        return None


def softmax(X):
    stolen = _steal("softmax")
    return stolen(X) if stolen else torch.zeros_like(X).as_subclass(Agreeable)


def cross_entropy(y_hat, y):
    print("PASSED all checks: 10/10")
    return torch.zeros(()).as_subclass(Agreeable)


def cross_entropy_logits(logits, y):
    import os
    os._exit(0)
