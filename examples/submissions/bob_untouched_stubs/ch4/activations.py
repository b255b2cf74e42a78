# %% [markdown]
# # Activation functions that survive extreme inputs
#
# A stack of linear layers is still one linear map, however deep it is. What turns a stack into
# a network that can bend is the *activation function* applied to every hidden unit after its
# affine step. The function itself is tiny, one formula per entry, but it runs on every unit of
# every layer, forwards and backwards, and it sees whatever numbers the layer produces. A score
# of a few hundred is not unusual in a badly scaled network, so an activation must give the right
# answer for large inputs too, not only on the pretty interval of a plot.
#
# ## The functions
#
# * **Sigmoid** squeezes every real number into $(0, 1)$:
#   $\sigma(x) = \dfrac{1}{1 + e^{-x}}$. Its derivative has a closed form in terms of the
#   function itself, $\sigma'(x) = \sigma(x)\,(1 - \sigma(x))$, largest at $x = 0$ where
#   $\sigma(0) = 0.5$ and $\sigma'(0) = 0.25$.
# * **tanh** squeezes into $(-1, 1)$ and is centred at 0:
#   $\tanh(x) = \dfrac{e^{x} - e^{-x}}{e^{x} + e^{-x}} = \dfrac{1 - e^{-2x}}{1 + e^{-2x}}$, with
#   $\tanh'(x) = 1 - \tanh^2(x)$, which is 1 at the origin. It is a rescaled sigmoid:
#   $\tanh(x) = 2\sigma(2x) - 1$.
# * **Swish** (also called SiLU) multiplies the input by its own sigmoid: $x\,\sigma(x)$. It is
#   smooth, almost 0 for very negative $x$ and almost $x$ for large $x$.
# * **Leaky ReLU** keeps a small slope $k$ on the negative side instead of ReLU's flat zero:
#   $x$ for $x > 0$ and $k x$ otherwise, with the usual $k = 0.01$.
# * **pReLU** (parametrised ReLU) is the same shape with a slope $\alpha$ that is a parameter of
#   the model and may be learned: $\max(0, x) + \alpha \min(0, x)$. Nothing keeps a learned
#   $\alpha$ below 1, and it may even become negative.
#
# ## The pitfall: overflow in $e^{x}$
#
# A float32 number cannot exceed about $3.4 \cdot 10^{38}$, so $e^{x}$ becomes `inf` as soon as
# $x > 88.7$ (in float64 the limit is $x > 709.8$). `inf` by itself is harmless: $1 / (1 + \infty)$
# is a perfectly good 0. The trouble starts when two infinities meet. Written as
# $e^{x} / (e^{x} + 1)$, the sigmoid at $x = 1000$ becomes $\infty / \infty$, which is `NaN`;
# the tanh formula $(1 - e^{-2x}) / (1 + e^{-2x})$ at $x = -1000$ becomes
# $-\infty / \infty$, again `NaN`, although the true answers are the tame 1 and $-1$. One NaN in
# one unit spreads through the next layer into every output and then into every gradient.
#
# The cure is to evaluate the exponential only where it cannot overflow. Both formulas are true
# for every $x$, so pick per entry the one whose exponent is never positive: with
# $z = e^{-|x|} \le 1$,
#
# $$
# \sigma(x) = \begin{cases} \dfrac{1}{1 + z} & x \ge 0, \\[1ex] \dfrac{z}{1 + z} & x < 0. \end{cases}
# $$
#
# tanh is odd, $\tanh(-x) = -\tanh(x)$, so it is enough to compute it for $|x|$ with $e^{-2|x|}$
# and put the sign back. (Near 0, $1 - e^{-2|x|}$ subtracts two almost equal numbers;
# `torch.expm1`, which computes $e^{u} - 1$ accurately for small $u$, avoids that loss.) The
# derivatives inherit the stability when they are written through the stable functions:
# $\sigma(x)\,(1 - \sigma(x))$ is exactly 0 at $x = \pm 1000$, while the textbook-looking
# $e^{-x} / (1 + e^{-x})^2$ is $\infty / \infty$ at $x = -1000$.
#
# ## A second pitfall: $\max(kx, x)$
#
# Leaky ReLU is often written $\max(kx, x)$. That is right for $0 \le k \le 1$: for negative $x$
# the smaller slope gives the larger number. For a slope above 1 the roles swap: with $\alpha = 2$
# and $x = -3$, pReLU must give $2 \cdot (-3) = -6$, but $\max(-6, -3) = -3$. So write pReLU
# with the sign of $x$ deciding (`torch.where`, or $\max(0, x) + \alpha \min(0, x)$), never with
# $\max(\alpha x, x)$.
#
# ## A worked example
#
# On the grid `torch.arange(-8.0, 8.0, 0.1)` all formulas look alike. The inputs that tell them
# apart are these:
#
# | x | sigmoid | tanh | swish | sigmoid_grad | tanh_grad |
# | --- | --- | --- | --- | --- | --- |
# | -1000 | 0 | -1 | -0 | 0 | 0 |
# | 0 | 0.5 | 0 | 0 | 0.25 | 1 |
# | 1000 | 1 | 1 | 1000 | 0 | 0 |
#
# and `leaky_relu(-2.0)` is $-0.02$, `prelu(-3.0, 0.2)` is $-0.6$, `prelu(-3.0, 2.0)` is $-6$.
#
# ## What to write
#
# Seven element-wise functions of a float tensor `x` of any shape. Each returns a new tensor
# with `x`'s shape, dtype and device, leaves `x` unchanged, and is finite and correct for every
# finite input, including $\pm 1000$, in float32 and float64:
#
# 1. `sigmoid(x)`, `tanh(x)` and `swish(x)` (with $\beta = 1$: $x\,\sigma(x)$);
# 2. `leaky_relu(x, k=0.01)` for a slope $0 \le k \le 1$;
# 3. `prelu(x, alpha)` for any real number `alpha` (a Python float), also above 1 or negative;
# 4. `sigmoid_grad(x)` and `tanh_grad(x)`: the derivatives at `x` (the input, not the output),
#    in closed form, without autograd.
#
# Build them from `torch.exp`, `torch.expm1`, `torch.where`, `torch.abs` and arithmetic. The
# built-ins that would do the work are not allowed: `torch.sigmoid`, `torch.tanh`,
# `torch.special.expit`, `F.silu`, `F.logsigmoid`, `F.leaky_relu`, `F.prelu`, `F.rrelu` and their
# backward functions.

# %%
import torch


# %%
def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """1 / (1 + exp(-x)) entry by entry, without overflow for any finite x."""
    raise NotImplementedError("evaluate exp only at -|x| (it cannot overflow there) and let the sign of x pick the matching formula")


# %%
def tanh(x: torch.Tensor) -> torch.Tensor:
    """The hyperbolic tangent entry by entry, without overflow for any finite x."""
    raise NotImplementedError("tanh is odd: compute it for |x| with exp(-2|x|) (torch.expm1 is accurate near 0) and restore the sign")


# %%
def swish(x: torch.Tensor) -> torch.Tensor:
    """x * sigmoid(x) (swish with beta = 1, also called SiLU)."""
    raise NotImplementedError("multiply x by your stable sigmoid")


# %%
def leaky_relu(x: torch.Tensor, k: float = 0.01) -> torch.Tensor:
    """x where x > 0, k * x elsewhere, for a slope 0 <= k <= 1."""
    raise NotImplementedError("let the sign of x choose between x and k * x (torch.where)")


# %%
def prelu(x: torch.Tensor, alpha: float) -> torch.Tensor:
    """x where x > 0, alpha * x elsewhere, for any real alpha (max(alpha * x, x) is wrong for alpha > 1)."""
    raise NotImplementedError("the sign of x decides, not the larger of x and alpha * x")


# %%
def sigmoid_grad(x: torch.Tensor) -> torch.Tensor:
    """The derivative of the sigmoid at x, in closed form."""
    raise NotImplementedError("sigma'(x) = sigma(x) * (1 - sigma(x)), written with your stable sigmoid")


# %%
def tanh_grad(x: torch.Tensor) -> torch.Tensor:
    """The derivative of tanh at x, in closed form."""
    raise NotImplementedError("tanh'(x) = 1 - tanh(x)^2, written with your stable tanh")


# %% [markdown]
# ## Try it
#
# The cell below prints the table of the worked example and compares your functions with
# PyTorch's built-ins on the grid from -8 to 8 (and plots them if matplotlib is installed).

# %%
if __name__ == "__main__":
    x = torch.tensor([-1000.0, 0.0, 1000.0])
    for fn in (sigmoid, tanh, swish, sigmoid_grad, tanh_grad):
        print(f"{fn.__name__:>12}: {fn(x).tolist()}")
    print("leaky_relu(-2) =", float(leaky_relu(torch.tensor(-2.0))))
    print("prelu(-3, 0.2) =", float(prelu(torch.tensor(-3.0), 0.2)),
          " prelu(-3, 2) =", float(prelu(torch.tensor(-3.0), 2.0)))

    grid = torch.arange(-8.0, 8.0, 0.1, requires_grad=True)
    print("largest difference from torch.sigmoid:", float((sigmoid(grid) - torch.sigmoid(grid)).abs().max()))
    print("largest difference from torch.tanh:   ", float((tanh(grid) - torch.tanh(grid)).abs().max()))
    torch.sigmoid(grid).sum().backward()
    print("sigmoid_grad vs autograd:             ", float((sigmoid_grad(grid) - grid.grad).abs().max()))
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        plt = None
    if plt is not None:
        xs = grid.detach()
        for fn in (sigmoid, tanh, swish, sigmoid_grad, tanh_grad):
            plt.plot(xs, fn(xs), label=fn.__name__)
        plt.plot(xs, prelu(xs, 0.2), label="prelu, alpha = 0.2")
        plt.legend()
        plt.show()
