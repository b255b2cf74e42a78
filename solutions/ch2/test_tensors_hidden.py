"""Hidden checks for ch2.tensors.

The expected fields come from the judge's own reading of the bits (a float32 tensor viewed as
int32); memory sharing is probed with tensors and arrays built next to the student's code, since
what crosses the wire is always a fresh copy.
"""

from __future__ import annotations

import math

import torch

from grader.checks import specs, check, expect

EXERCISE = "ch2.tensors"

# The contract (the exercise's "What to write" and the definitions above it), one sentence a
# clause; each check names the one it charges.
CLAUSES = {
    "example": "float32_fields(0.15625) is (0, 124, 2097152), and float32_value(0, 124, 2097152) is 0.15625",
    "signs": "the sign field is 1 for negative values, -0.0 included, and a sign of 1 gives a negative value",
    "fields_any": "float32_fields gives (sign, biased exponent, 23-bit fraction) as three ints for float32 "
                  "values of every magnitude",
    "fields_rounding": "float32_fields first rounds a double to the nearest float32, even into the next exponent",
    "fields_special": "float32_fields handles zeros, infinities, subnormals, the extreme normal numbers and NaN "
                      "(exponent 255, fraction not 0)",
    "value_any": "float32_value gives the exact value of normal fields, with the implicit leading 1",
    "value_extremes": "float32_value is exact for the smallest and largest normal numbers and the largest fraction",
    "value_not_normal": "float32_value raises ValueError for the exponents 0 and 255, which are not normal numbers",
    "value_ranges": "float32_value raises ValueError for a sign other than 0 or 1, an exponent below 0 or above 255, or a "
                    "fraction outside 0 to 2**23 - 1",
    "add_in_place": "add_into writes X + Y into X's own memory and returns X itself",
    "add_y_unchanged": "add_into leaves Y unchanged",
    "add_broadcasts": "add_into broadcasts Y (a row or a column) into X's shape, and X keeps its dtype",
    "shares_numpy": "t.numpy() and torch.from_numpy(a) share memory; t.clone(), np.array(t) and torch.tensor(a) copy",
    "shares_views": "slices with an offset, transposes and dtype views share memory with their base, "
                    "in either argument order",
    "shares_overlap": "memory is shared only where bytes overlap: two halves of one tensor share none, an empty "
                      "tensor shares with nothing",
}


def _bits_fields(x: torch.Tensor) -> tuple[int, int, int]:
    bits = int(x.to(torch.float32).reshape(1).view(torch.int32)[0]) & 0xFFFFFFFF
    return bits >> 31, (bits >> 23) & 0xFF, bits & 0x7FFFFF


def _random_float32(rng: torch.Generator, n: int) -> torch.Tensor:
    """float32 values over many orders of magnitude, both signs."""
    mantissa = torch.rand(n, generator=rng) + 0.5
    scale = torch.randint(-120, 120, (n,), generator=rng).to(torch.float64)
    sign = torch.where(torch.rand(n, generator=rng) < 0.5, -1.0, 1.0)
    return (sign * mantissa * 2.0 ** scale).to(torch.float32)


# ------------------------------------------------------------------ float32_fields

@check(points=2, clause="fields_any")
def test_fields_of_random_float32(student, device, rng):
    """float32_fields gives the sign, biased exponent and fraction of float32 values of all sizes."""
    for x in _random_float32(rng, 8):
        value = float(x)
        expect.equal(student.float32_fields(value), _bits_fields(x), what=f"float32_fields({value!r})")


@check(points=1, clause="fields_rounding")
def test_fields_round_to_nearest(student, device, rng):
    """A double that is no float32 is rounded to the nearest float32 first (even into the next exponent)."""
    doubles = [0.1, -2.0 / 3.0, 2.0 - 2.0**-30, 1.0 + 2.0**-24 + 2.0**-40]
    doubles += [float(v) for v in (torch.rand(2, generator=rng, dtype=torch.float64) * 100 - 50)]
    for value in doubles:
        expected = _bits_fields(torch.tensor(value, dtype=torch.float64))
        expect.equal(student.float32_fields(value), expected, what=f"float32_fields({value!r})")


@check(points=1, clause="fields_special")
def test_fields_of_special_values(student, device, rng):
    """Zero, infinities, subnormals, the extreme normal numbers and NaN."""
    cases = [(0.0, (0, 0, 0)), (math.inf, (0, 255, 0)), (-math.inf, (1, 255, 0)),
             (2.0**-149, (0, 0, 1)), (-(2.0**-130), (1, 0, 2**19)), (2.0**-126, (0, 1, 0)),
             (float(torch.finfo(torch.float32).max), (0, 254, 2**23 - 1))]
    for value, expected in cases:
        expect.equal(student.float32_fields(value), expected, what=f"float32_fields({value!r})")
    sign, exponent, fraction = student.float32_fields(math.nan)
    expect.true(exponent == 255 and fraction != 0,
                f"float32_fields(nan) gave exponent {exponent} and fraction {fraction}; NaN has "
                "exponent 255 and a fraction that is not 0")


# ------------------------------------------------------------------ float32_value

@check(points=2, clause="value_any")
def test_value_of_random_fields(student, device, rng):
    """float32_value gives the exact value of random normal fields."""
    for _ in range(8):
        sign = int(torch.randint(0, 2, (1,), generator=rng))
        exponent = int(torch.randint(1, 255, (1,), generator=rng))
        fraction = int(torch.randint(0, 2**23, (1,), generator=rng))
        bits = (sign << 31) | (exponent << 23) | fraction
        as_int32 = bits - (1 << 32) if bits >= 1 << 31 else bits
        expected = float(torch.tensor([as_int32], dtype=torch.int32).view(torch.float32)[0])
        expect.equal(student.float32_value(sign, exponent, fraction), expected,
                     what=f"float32_value({sign}, {exponent}, {fraction})")


@check(points=1, clause="value_extremes")
def test_value_of_the_extremes(student, device, rng):
    """The smallest and largest normal numbers and the largest fraction come out exactly."""
    cases = [((0, 1, 0), 2.0**-126), ((1, 254, 2**23 - 1), -float(torch.finfo(torch.float32).max)),
             ((0, 127, 2**23 - 1), 2.0 - 2.0**-23)]
    for fields, expected in cases:
        expect.equal(student.float32_value(*fields), expected, what=f"float32_value{fields}")


@check(points=2, clause="value_ranges")
def test_value_rejects_fields_out_of_range(student, device, rng):
    """ValueError for a sign, an exponent or a fraction outside its range."""
    for fields in ((0, 256, 0), (2, 127, 0), (-1, 127, 0), (0, -1, 0), (0, 127, 2**23), (0, 127, -1)):
        with expect.raises(ValueError, what=f"float32_value{fields}"):
            student.float32_value(*fields)


# ------------------------------------------------------------------ add_into

@check(points=1, clause="add_y_unchanged")
def test_add_into_leaves_y(student, device, rng):
    """add_into(X, Y) leaves Y as it was."""
    X = torch.randn(4, 5, generator=rng)
    Y = torch.randn(4, 5, generator=rng)
    _, records = student.call_recorded("add_into", specs.tensor(X, label="X"), specs.tensor(Y, label="Y"))
    expect.equal(records["Y"]["value"], Y, what="Y after add_into(X, Y)")


@check(points=1, clause="add_broadcasts")
def test_add_into_broadcasts_and_keeps_dtype(student, device, rng):
    """A row or a column broadcast into X works; float64 and int64 X keep their dtype."""
    cases = [(torch.randn(3, 4, generator=rng), torch.randn(4, generator=rng)),
             (torch.randn(3, 4, generator=rng, dtype=torch.float64), torch.randn(3, 1, generator=rng,
                                                                              dtype=torch.float64)),
             (torch.randint(-9, 9, (2, 3), generator=rng), torch.randint(-9, 9, (2, 3), generator=rng))]
    for X, Y in cases:
        # the values, the dtype and X's own memory; returning X itself is the visible check's
        _, records = student.call_recorded("add_into", specs.tensor(X, label="X"), Y)
        expect.close(records["X"]["value"], X + Y,
                     what=f"X after add_into(X, Y) for X {tuple(X.shape)} {X.dtype} and Y {tuple(Y.shape)}")


# ------------------------------------------------------------------ shares_memory

def _expect_shares(student, a, b, expected: bool, what: str) -> None:
    expect.equal(student.shares_memory(a, b), expected, what=f"shares_memory({what})")


@check(points=2, clause="shares_views")
def test_shares_with_views(student, device, rng):
    """Slices with an offset, transposes and dtype views share memory; clones do not."""
    t = specs.tensor(torch.randn(12, generator=rng), label="t")
    _expect_shares(student, t, specs.derived("t", "slice", index=[(5, None)], label="v"), True, "t, t[5:]")
    _expect_shares(student, specs.derived(t, "slice", index=[(2, 9)], label="v"), t, True, "t[2:9], t")
    _expect_shares(student, t, specs.derived("t", "view_dtype", dtype="int32", label="v"), True,
                   "t, t.view(torch.int32)")
    _expect_shares(student, t, specs.derived("t", "copy", label="v"), False, "t, t.clone()")
    a = specs.ndarray(torch.randn(4, 3, generator=rng), label="a")
    _expect_shares(student, a, specs.derived("a", "transpose", label="v"), True, "a, a.T")
    _expect_shares(student, specs.derived(a, "slice", index=[(None, None, -1)], label="v"), a, True,
                   "a[::-1], a")


@check(points=1, clause="shares_overlap")
def test_shares_only_overlapping_bytes(student, device, rng):
    """Two halves of one tensor share no byte, an empty slice shares nothing; overlapping slices
    share, also across tensor and array."""
    base = specs.tensor(torch.randn(10, generator=rng), label="base")
    head = specs.derived(base, "slice", index=[(0, 5)], label="head")
    tail = specs.derived(base, "slice", index=[(5, None)], label="tail")
    _expect_shares(student, head, tail, False, "t[:5], t[5:]")
    middle = specs.derived(base, "slice", index=[(4, 7)], label="middle")
    _expect_shares(student, head, middle, True, "t[:5], t[4:7]")
    tail_np = specs.derived(specs.derived(base, "slice", index=[(5, None)], label="tail"), "numpy", label="tail_np")
    _expect_shares(student, specs.derived(base, "slice", index=[(3, 8)], label="mid"), tail_np, True,
                   "t[3:8], t[5:].numpy()")
    t = specs.tensor(torch.randn(10, generator=rng), label="t")
    _expect_shares(student, t, specs.derived("t", "slice", index=[(4, 4)], label="empty"), False, "t, t[4:4]")
