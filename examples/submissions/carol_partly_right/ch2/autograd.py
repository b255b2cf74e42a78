# %% [markdown]
# # Automatic differentiation
#
# Training a network means following derivatives downhill, and nobody wants to work out the
# derivative of a million-parameter function by hand. PyTorch's *autograd* does it for us: while
# a computation runs on tensors that have `requires_grad=True`, PyTorch records which operation
# produced which tensor (the *computational graph*). Calling `.backward()` on a scalar result
# walks that graph from the end back to the start and applies the chain rule at every node,
# leaving $\partial \text{result} / \partial t$ in the `.grad` of every leaf tensor $t$ that asked
# for it.
#
# ## A first gradient
#
# Take $y = 2 x^\top x$ at $x = (0, 1, 2, 3)$. Then $y = 2 (0 + 1 + 4 + 9) = 28$ and, since
# $\partial y / \partial x = 4x$, the gradient is $(0, 4, 8, 12)$. In PyTorch:
#
# ```python
# x = torch.arange(4.0, requires_grad=True)
# y = 2 * torch.dot(x, x)
# y.backward()
# x.grad          # tensor([ 0.,  4.,  8., 12.])
# ```
#
# Two habits of autograd catch everybody once. First, **gradients accumulate**: `.backward()`
# *adds* into `.grad`. Computing `(2 * x).sum().backward()` next (its gradient is 2 everywhere)
# leaves $(2, 6, 10, 14)$ in `x.grad`, not $(2, 2, 2, 2)$. Zero `.grad` (or set it to `None`)
# before every new gradient. Second, **a function should not change its caller's tensors**: calling
# `x.requires_grad_()` on somebody else's tensor, or running backward into its `.grad`, is a
# side effect they did not ask for. Work on `x.detach().clone()` instead: `detach` cuts the
# copy off any graph `x` belongs to and `clone` gives it its own memory. (A plain `x.clone()` is
# not enough: the clone of a tensor that requires grad is part of its graph, and the gradient
# would flow back into the original.)
#
# Because the graph is recorded while the code runs, Python control flow is no obstacle. A
# function that doubles its input until the norm exceeds 1000 and then keeps or scales the
# result depending on its sign is still differentiable wherever it is evaluated: the recorded
# graph is just the path that was actually taken. When the result is $k \cdot a$ for the
# $k$ that path produced, the gradient of its sum is $k$ in every entry.
#
# ## Detaching
#
# Sometimes part of a computation must count as a constant. With $u = x \cdot x$ computed and
# then *detached*, $z = u \cdot x$ has $\partial z / \partial x = u$: autograd sees $u$ as a
# fixed number, not as $x^2$ (which would give $3x^2$). This is how one stops gradients from
# flowing into a part of a model.
#
# ## The chain rule by hand
#
# Backpropagation is nothing but the chain rule applied node by node. For
# $f(x, y, z) = (x + y) \cdot z$ name the inner node $q = x + y$, so $f = q z$. Locally
# $\partial f / \partial q = z$ and $\partial f / \partial z = q$, while
# $\partial q / \partial x = \partial q / \partial y = 1$. Chaining,
#
# $$ \frac{\partial f}{\partial x} = \frac{\partial f}{\partial q} \frac{\partial q}{\partial x} = z, \qquad
#    \frac{\partial f}{\partial y} = z, \qquad \frac{\partial f}{\partial z} = q = x + y. $$
#
# At $(x, y, z) = (-3, 5, -2)$: $q = 2$, $f = -4$, and the gradients are $-2$, $-2$ and $2$.
#
# ## Gradient descent in one dimension
#
# To minimise $f$ we step against the derivative, $x \leftarrow x - \eta f'(x)$, with a
# *learning rate* $\eta$, and stop when the step $|\eta f'(x)|$ has become smaller than a
# tolerance $\varepsilon$. For $f(x) = (x - 2)^2$ from $x = -3.5$: $f = 30.25$, $f' = -11$,
# so with $\eta = 0.1$ the first step moves to $-3.5 + 1.1 = -2.4$. Each step shrinks the
# distance to 2 by the factor $1 - 2\eta = 0.8$, and after 54 steps the step is below $10^{-5}$
# with $x \approx 2.0$. With $\eta = 1.1$ the factor is $1 - 2.2 = -1.2$: every step
# overshoots further and the iteration *diverges*. A minimiser must notice that instead of
# looping forever, which is why it takes a maximum number of steps.
#
# ## What to write
#
# 1. `gradient(f, x)`: the gradient of `f(x).sum()` with respect to `x`, a tensor like `x`
#    (shape, dtype, device). `f` is any function from tensors to tensors. Compute it on a
#    detached copy: the caller's `x` keeps its values, its `requires_grad` flag and its `.grad`.
#    `ValueError` when `x` is not a floating-point tensor (integers and booleans have no gradient).
# 2. `detached_product_grad(x)`: the gradient of `(u * x).sum()` with respect to `x`, where
#    `u = x * x` is detached. Use autograd; leave the caller's `x` alone as above.
# 3. `hand_graph(x, y, z)` for tensors of one shape: the dict `{"f", "dx", "dy", "dz"}` for
#    $f = (x + y) z$, every entry a tensor of that shape, with the partial derivatives worked out
#    by the chain rule. The checks call it inside `torch.no_grad()`, so autograd cannot help
#    (and `backward` and `torch.autograd.grad` are not allowed here).
# 4. `minimize_1d(f, x0, lr=0.1, eps=1e-5, max_steps=10_000)`: gradient descent from the float
#    `x0`. Keep the current point as a 0-d float64 tensor; in every step compute $f'(x)$ with
#    autograd (`f` takes and returns 0-d tensors), move by $-\eta f'(x)$, count the step, and
#    stop as soon as that step was smaller than `eps` in absolute value. Return `(x, steps)` as
#    a Python float and int. Raise `RuntimeError` when `max_steps` steps were not enough (you may
#    raise it earlier, as soon as `x` is no longer a finite number).

# %%
import math

import torch


# %%
def gradient(f, x: torch.Tensor) -> torch.Tensor:
    """The gradient of f(x).sum() at x, computed on a copy (x and its .grad stay as they are)."""
    ### BEGIN SOLUTION
    # HINT: refuse non-float x; make a detached clone that requires grad, backward from f(clone).sum(), read its .grad
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise ValueError("gradient needs a floating-point tensor")
    with torch.enable_grad():
        leaf = x.detach().clone().requires_grad_(True)
        f(leaf).sum().backward()
    return leaf.grad
    ### END SOLUTION


# %%
def detached_product_grad(x: torch.Tensor) -> torch.Tensor:
    """The gradient of (u * x).sum() with respect to x, where u = x * x is detached."""
    ### BEGIN SOLUTION
    # HINT: on a detached copy that requires grad: u = (copy * copy).detach(), then backward from (u * copy).sum()
    with torch.enable_grad():
        leaf = x.detach().clone().requires_grad_(True)
        u = (leaf * leaf).detach()
        (u * leaf).sum().backward()
    return leaf.grad
    ### END SOLUTION


# %%
def hand_graph(x: torch.Tensor, y: torch.Tensor, z: torch.Tensor) -> dict:
    """f = (x + y) * z and its partial derivatives by the chain rule, without autograd."""
    ### BEGIN SOLUTION
    # HINT: q = x + y; f = q * z; df/dq is z and dq/dx = dq/dy = 1; df/dz is q
    q = x + y
    return {"f": q * z, "dx": z.clone(), "dy": z.clone(), "dz": q}
    ### END SOLUTION


# %%
def minimize_1d(f, x0: float, lr: float = 0.1, eps: float = 1e-5, max_steps: int = 10_000) -> tuple:
    """Gradient descent on a function of one variable; returns (x, steps) or raises RuntimeError."""
    ### BEGIN SOLUTION
    # HINT: loop at most max_steps times: gradient at x, step = lr * gradient, x -= step; stop when |step| < eps
    x = torch.tensor(float(x0), dtype=torch.float64)
    for steps in range(1, max_steps + 1):
        step = lr * gradient(f, x)
        x = x - step
        if not math.isfinite(float(x)):
            raise RuntimeError(f"gradient descent diverged after {steps} steps (lr={lr} is too large)")
        if abs(float(step)) < eps:
            return float(x), steps
    raise RuntimeError(f"gradient descent did not converge in {max_steps} steps")
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The cell runs the worked examples of the text.

# %%
if __name__ == "__main__":
    x = torch.arange(4.0)
    print(gradient(lambda t: 2 * torch.dot(t, t), x))          # [0, 4, 8, 12]
    print(detached_product_grad(x), x * x)
    with torch.no_grad():
        print(hand_graph(torch.tensor(-3.0), torch.tensor(5.0), torch.tensor(-2.0)))
    print(minimize_1d(lambda t: (t - 2) ** 2, -3.5))
    try:
        minimize_1d(lambda t: (t - 2) ** 2, -3.5, lr=1.1, max_steps=100)
    except RuntimeError as err:
        print("lr = 1.1:", err)
