# source: github.com/Undernoone/Deep_Learning_Practice__Li-Mu 15.LeNet.py lines 1-40 (rewritten for ch6.cnn)
# exercise: ch6.cnn
#!/usr/bin/env python
# coding: utf-8

# In[1]:


get_ipython().run_line_magic('matplotlib', 'inline')
import torch
from torch import nn


# In[2]:


class Reshape(nn.Module):
    def forward(self, x):
        return x.view(-1, 1, 28, 28)


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            Reshape(),
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2))
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
            nn.Linear(120, 84), nn.Sigmoid(),
            nn.Linear(84, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


# In[3]:


def flattened_size(features, input_shape):
    with torch.no_grad():
        return features(torch.zeros(1, *input_shape)).numel()


def predict(model, X):
    model.eval()
    with torch.no_grad():
        return model(X).argmax(dim=1)


# In[4]:


X = torch.rand(size=(1, 1, 28, 28), dtype=torch.float32)
for layer in ConvNet().features:
    X = layer(X)
    print(layer.__class__.__name__, 'output shape: \t', X.shape)
