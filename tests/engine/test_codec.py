"""Only plain data crosses the boundary; everything else is rejected, not compared."""

import math
import struct

import numpy as np
import pytest
import torch

from grader.checks import codec
from grader.checks.student_errors import NotPlainData


def rt(value):
    return codec.from_plain(codec.roundtrip(codec.to_plain(value)))


def test_plain_values_survive_the_round_trip():
    value = {"a": [1, 2.5, True, None, "s", b"b"], 3: (torch.arange(4), {1, 2}),
             "d": torch.float64, "dev": torch.device("cpu"), "size": torch.Size([2, 3])}
    back = rt(value)
    assert back["a"] == [1, 2.5, True, None, "s", b"b"]
    assert isinstance(back[3], tuple) and torch.equal(back[3][0], torch.arange(4)) and back[3][1] == {1, 2}
    assert back["d"] is torch.float64 and back["dev"] == torch.device("cpu")
    assert back["size"] == torch.Size([2, 3])


def test_tensor_keys_dtype_and_meta_device_are_kept():
    t = torch.ones(2, dtype=torch.float16)
    back = rt({t: torch.empty(3, 4, device="meta")})
    (k, v), = back.items()
    assert k.dtype == torch.float16 and v.device.type == "meta" and v.shape == (3, 4)


def test_parameter_becomes_plain_tensor_without_grad():
    p = torch.nn.Parameter(torch.ones(2))
    back = rt(p * 1)
    assert type(back) is torch.Tensor and not back.requires_grad


class Sneaky(torch.Tensor):
    def __eq__(self, other):
        return True


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __bool__(self):
        return True


@pytest.mark.parametrize("bad,words", [
    (torch.ones(2).as_subclass(Sneaky), "subclass of torch.Tensor"),
    (AlwaysEqual(), "not plain data"),
    (np.ones(3), "numpy"),
    ((x for x in range(3)), "not plain data"),
    ([AlwaysEqual()], "value[0]"),
    (torch.ones(2).to_sparse(), "sparse"),
    (type("F", (float,), {"__eq__": lambda s, o: True})(1.0), "not plain data"),
])
def test_rejects_what_is_not_plain_data(bad, words):
    with pytest.raises(NotPlainData) as err:
        codec.to_plain(bad)
    assert words in str(err.value)


def test_numpy_scalars_become_python_numbers():
    assert type(rt(np.float32(1.5))) is float and type(rt(np.int64(3))) is int


def test_cycles_and_huge_structures_are_cut_off():
    a = []
    a.append(a)
    with pytest.raises(NotPlainData, match="nested"):
        codec.to_plain(a)


def test_forged_bytes_cannot_run_code():
    import pickle

    import msgpack

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))
    with pytest.raises(NotPlainData, match="not a torchgrade frame"):
        codec.loads(pickle.dumps(Evil()))
    body = pickle.dumps(Evil())     # a pickle where the structure goes is just bad MessagePack
    with pytest.raises(NotPlainData):
        codec.loads(codec.MAGIC + struct.pack(">Q", len(body)) + body)
    unknown = msgpack.packb(msgpack.ExtType(7, b"os.system"))
    with pytest.raises(NotPlainData, match="unknown record type 7"):
        codec.loads(codec.MAGIC + struct.pack(">Q", len(unknown)) + unknown)


def _frame_with_tensor(meta: list, data: bytes) -> bytes:
    import msgpack
    structure = msgpack.packb(msgpack.ExtType(1, msgpack.packb(meta)))
    return codec.MAGIC + struct.pack(">Q", len(structure)) + structure + data


@pytest.mark.parametrize("meta, data, message", [
    (["float32", [4], 0, 16], b"\0" * 8, "malformed"),              # data past the end of the frame
    (["float32", [1000, 1000], 0, 16], b"\0" * 16, "does not match"),  # a small record claiming a big shape
    (["float32", [-1], 0, 0], b"", "malformed"),
    (["object", [1], 0, 8], b"\0" * 8, "unknown dtype"),
    (["float32", [2]], b"\0" * 8, "malformed"),
])
def test_forged_tensor_records_are_refused(meta, data, message):
    with pytest.raises(NotPlainData, match=message):
        codec.loads(_frame_with_tensor(meta, data))


def test_structure_part_is_bounded_before_it_is_read():
    huge = codec.dumps(list(range(600_000)))
    with pytest.raises(NotPlainData, match="too large to read back"):
        codec.check_frame(huge)
    with pytest.raises(NotPlainData, match="larger than the reply"):
        codec.loads(huge[:100])


@pytest.mark.parametrize("dtype", sorted(codec._DTYPES.values(), key=str))
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 0, 3), (2, 3, 4)])
def test_every_dtype_and_shape_survives_the_frame(dtype, shape):
    t = (torch.randn(shape, dtype=torch.float64) * 5).to(dtype)
    back = rt(t)
    assert type(back) is torch.Tensor and back.dtype == dtype and back.shape == t.shape
    assert torch.equal(back, t) and back.is_contiguous()
    back.add_(1) if dtype != torch.bool else back.logical_not_()   # writable, its own memory


def test_scalars_beyond_messagepack_survive():
    for value in (2 ** 70, -(2 ** 90), "lone \ud800 surrogate", b"\x00\xff", -0.0, float("inf")):
        back = rt(value)
        assert back == value and type(back) is type(value)


def test_view_of_a_big_tensor_ships_only_the_view():
    big = torch.zeros(1000, 1000)
    data = codec.dumps(codec.to_plain(big[:2, :2]))
    assert len(data) < 10_000


def test_nan_is_data_not_an_error():
    assert math.isnan(rt(float("nan")))
