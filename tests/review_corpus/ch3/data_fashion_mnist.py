# source: github.com/d2l-ai/d2l-en d2l/torch.py lines 156-201 (rewritten for ch3.data)
# exercise: ch3.data
import os

import torch
import torchvision
from torch.utils import data
from torchvision import transforms


def text_labels(indices):
    names = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat',
             'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot']
    return [names[int(i)] for i in indices]


class ArrayDataset(data.Dataset):
    def __init__(self, X, y):
        assert X.shape[0] == y.shape[0], "features and labels differ in length"
        self.X, self.y = X.float(), y.long()

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, i):
        return self.X[i], self.y[i]


def num_batches(n, batch_size, drop_last=False):
    full, rest = divmod(n, batch_size)
    return full + (1 if rest and not drop_last else 0)


def split_sizes(n, train_fraction):
    train = min(n, max(0, int(n * train_fraction + 0.5)))
    return train, n - train


def get_dataloader_workers():
    """Use 4 processes to read the data."""
    return 4


def load_data_fashion_mnist(batch_size, resize=None, root=os.path.join("..", "data")):
    trans = [transforms.ToTensor()]
    if resize:
        trans.insert(0, transforms.Resize(resize))
    trans = transforms.Compose(trans)
    mnist_train = torchvision.datasets.FashionMNIST(root=root, train=True, transform=trans, download=True)
    mnist_test = torchvision.datasets.FashionMNIST(root=root, train=False, transform=trans, download=True)
    return (data.DataLoader(mnist_train, batch_size, shuffle=True, num_workers=get_dataloader_workers()),
            data.DataLoader(mnist_test, batch_size, shuffle=False, num_workers=get_dataloader_workers()))
