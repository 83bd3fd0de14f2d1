"""Writes reference.safetensors with the reference Python `safetensors` package (0.8.0).

Run: python3 -m pip install safetensors numpy && python3 make_reference.py
The test SafeTensorsTests reads the committed output and checks every value below.
"""
import numpy as np
from safetensors.numpy import save_file

tensors = {
    "weight": np.arange(12, dtype=np.float32).reshape(3, 4) / 4.0 - 1.0,
    "bias": np.array([0.5, -2.25, 3.0], dtype=np.float32),
    "scalar": np.array(7.5, dtype=np.float32),
    "half": np.array([1.0, -0.5, 65504.0, 6e-8], dtype=np.float16),
    "double": np.array([[1.0, 2.5]], dtype=np.float64),
    "ids": np.array([1, -2, 30], dtype=np.int64),
}
save_file(tensors, "reference.safetensors", metadata={"producer": "python-safetensors"})
