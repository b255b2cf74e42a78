# %% [markdown]
# # Linear regression, the concise way
#
# The previous exercise built linear regression from nothing: our own minibatches, our own
# model, loss and update rule. Every deep learning framework ships these parts ready-made, and
# using them makes the same model a dozen lines long. The pieces map one to one:
#
# | from scratch | PyTorch |
# | --- | --- |
# | `data_iter` | `torch.utils.data.DataLoader` over a `TensorDataset` |
# | `linreg` with `w`, `b` | `nn.Linear(d, 1)` (inside `nn.Sequential`) |
# | `squared_loss` | `nn.MSELoss()` (mean over the batch, no factor 1/2) |
# | `sgd` | `torch.optim.SGD(net.parameters(), lr)` |
#
# ## Data
#
# `TensorDataset(X, y)` pairs the rows of tensors that share their first dimension; a
# `DataLoader` over it hands out minibatches. With `shuffle=True` it draws a new order at the
# start of every pass (from torch's global generator), which is what training wants; for
# evaluation the order does not matter, so we leave it unshuffled.
#
# ## Model and initialisation
#
# `nn.Linear(d, 1)` holds a weight of shape `(1, d)` and a bias of shape `(1,)`. Wrapping it in
# `nn.Sequential` lets us reach it as `net[0]`, and its parameters as `net[0].weight` and
# `net[0].bias`. PyTorch initialises them with its own default; like the from-scratch version we
# replace that by $w_i \sim \mathcal N(0, 0.01^2)$ and $b = 0$, in place: `normal_(0, 0.01)` and
# `fill_(0)` (the trailing underscore marks methods that overwrite a tensor).
#
# ## Loss and training
#
# `nn.MSELoss()` averages $(\hat y - y)^2$ over the batch. The optimiser's `step()` applies the
# update to every parameter and `zero_grad()` resets the gradients, which we do before every
# `backward()`. After each epoch we measure the loss on the *whole* data set, with gradients
# off; on the seed's data (1000 examples of $\mathbf w = (2, -3.4)$, $b = 4.2$, noise 0.01) the first
# epoch already brings it to about $3.6 \cdot 10^{-4}$, and after three epochs it sits near
# $10^{-4}$, the noise level $0.01^2$.
#
# Swapping the loss is one line: `nn.HuberLoss()` (with $\delta = 1$) is quadratic for small
# residuals and linear for large ones, so outliers pull less. The gradient of the weight after a
# backward pass is in `net[0].weight.grad`.
#
# ## The order of random draws
#
# With the same seed, two runs that draw their random numbers in the same order give the same
# result to the last digits. So that your run can be compared with ours step by step, keep this
# order: build the network with `linear_net` (its constructor and `normal_` draw from the global
# generator), then make the loader with `load_array((X, y), batch_size)`, the optimiser, and train;
# the shuffled loader draws its order at the start of every epoch. Measure the epoch's loss with
# one forward pass over all of `X` rather than through another loader: starting to iterate *any*
# `DataLoader`, even an unshuffled one, takes a number from the global generator, which would
# change the next epoch's order.
#
# ## What to write
#
# 1. `load_array(arrays, batch_size, is_train=True)`: a `DataLoader` over a `TensorDataset` of
#    all the tensors in `arrays` (a tuple or list), with that batch size, shuffled only when
#    `is_train`, keeping the last partial batch.
# 2. `linear_net(d)`: `nn.Sequential` holding one `nn.Linear(d, 1)`, weight drawn from
#    $\mathcal N(0, 0.01^2)$, bias 0.
# 3. `train_concise(X, y, loss="mse", lr=0.03, num_epochs=3, batch_size=10)`: the network from
#    `linear_net`, moved to `X`'s device, trained by the loop above with
#    `nn.MSELoss()` for `"mse"` or `nn.HuberLoss()` for `"huber"` (`ValueError` for any other
#    name, before training), `torch.optim.SGD` with learning rate `lr`. Return a dict with
#    `"w"` (the trained weight, shape `(1, d)`), `"b"` (shape `(1,)`), both detached, on `X`'s
#    device, and
#    `"epoch_loss"`: a list of `num_epochs` Python floats, the chosen loss on all of `X, y` after
#    each epoch.

# %%
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


# %%
def load_array(arrays, batch_size: int, is_train: bool = True) -> DataLoader:
    """A DataLoader over TensorDataset(*arrays); shuffled when is_train."""
    ### BEGIN SOLUTION
    # HINT: TensorDataset(*arrays), then DataLoader with shuffle=is_train
    return DataLoader(TensorDataset(*arrays), batch_size=batch_size, shuffle=is_train)
    ### END SOLUTION


def linear_net(d: int) -> nn.Sequential:
    """nn.Sequential(nn.Linear(d, 1)) with weight ~ N(0, 0.01**2) and bias 0."""
    ### BEGIN SOLUTION
    # HINT: build the Sequential, then overwrite net[0].weight and net[0].bias in place
    net = nn.Sequential(nn.Linear(d, 1))
    with torch.no_grad():
        net[0].weight.normal_(0, 0.01)
        net[0].bias.fill_(0)
    return net
    ### END SOLUTION


# %%
def train_concise(X: torch.Tensor, y: torch.Tensor, loss: str = "mse", lr: float = 0.03,
                  num_epochs: int = 3, batch_size: int = 10) -> dict:
    """Train linear_net with torch.optim.SGD on the "mse" or "huber" loss.

    Returns {"w": (1, d) tensor, "b": (1,) tensor, "epoch_loss": [full-data loss after each epoch]}.
    """
    ### BEGIN SOLUTION
    # HINT: pick the loss (ValueError otherwise), then net, loader, optimiser; measure after each epoch
    losses = {"mse": nn.MSELoss, "huber": nn.HuberLoss}
    if loss not in losses:
        raise ValueError(f"loss must be 'mse' or 'huber', got {loss!r}")
    loss_fn = losses[loss]()
    net = linear_net(X.shape[1]).to(X.device)
    loader = load_array((X, y), batch_size)
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    epoch_loss = []
    for _ in range(num_epochs):
        for X_batch, y_batch in loader:
            batch_loss = loss_fn(net(X_batch), y_batch)
            trainer.zero_grad()
            batch_loss.backward()
            trainer.step()
        with torch.no_grad():
            epoch_loss.append(float(loss_fn(net(X), y)))
    return {"w": net[0].weight.detach().clone(), "b": net[0].bias.detach().clone(), "epoch_loss": epoch_loss}
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The seed's setting, with both losses.

# %%
if __name__ == "__main__":
    torch.manual_seed(0)
    true_w, true_b = torch.tensor([2.0, -3.4]), 4.2
    features = torch.randn(1000, 2)
    labels = features @ true_w.reshape(2, 1) + true_b + 0.01 * torch.randn(1000, 1)
    X_batch, y_batch = next(iter(load_array((features, labels), 10)))
    print(X_batch.shape, y_batch.shape)
    for name in ("mse", "huber"):
        result = train_concise(features, labels, loss=name)
        for epoch, value in enumerate(result["epoch_loss"]):
            print(f"{name}: epoch {epoch + 1}, loss {value:f}")
        print("error in w:", true_w - result["w"].reshape(true_w.shape), "error in b:", true_b - result["b"])
