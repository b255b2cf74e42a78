"""The Python a course exercise needs, as tables the judge's review (grader.grading.review) reads.

Everything a student's file may use is here: the modules it may import, the part of a few modules
it may touch, what of torch is off limits (always, or where the exercise bans built-ins), the
names Python and torch keep private that honest code still reads, and for each banned built-in
the public names that compute the same thing. Anything outside these tables is a finding.

A course switches on a row of OPTIONAL for one exercise in course.toml:

    [exercises.ch5.gpu]
    review_allow = ["threading"]

Pure data, standard library only (the judge's parent process imports it without torch).
"""

from __future__ import annotations

# Modules a course exercise may import, and what for. A module not here is a finding.
MODULES: dict[str, str] = {
    "torch": "the course's library (its public API; see TORCH_OFF_LIMITS)",
    "torchvision": "data sets and transforms",
    "numpy": "arrays (not inside a function whose torch built-ins are banned)",
    "matplotlib": "plots", "seaborn": "plots", "PIL": "images", "pandas": "tables", "tqdm": "progress bars",
    "IPython": "notebook display", "google": "Colab (google.colab)", "torchsummary": "model summaries",
    "torchinfo": "model summaries", "scipy": "(not inside a function with bans)",
    "sklearn": "(not inside a function with bans)",
    "d2l": "the book's package: the grader has none, and says so when it is imported",
    "__future__": "annotations",
    "math": "", "cmath": "", "random": "", "statistics": "(not inside a function with bans)",
    "time": "", "timeit": "", "datetime": "",
    "typing": "", "collections": "", "itertools": "", "functools": "", "operator": "",
    "dataclasses": "", "enum": "", "abc": "", "numbers": "", "copy": "", "contextlib": "",
    "warnings": "", "logging": "", "string": "", "re": "", "textwrap": "", "pprint": "",
    "struct": "float32 bits", "array": "", "decimal": "", "fractions": "", "heapq": "", "bisect": "",
    "io": "in-memory files (checkpoints)", "pathlib": "", "tempfile": "", "shutil": "", "glob": "",
    "json": "", "csv": "", "hashlib": "", "zipfile": "", "tarfile": "", "gzip": "",
    "argparse": "", "urllib": "downloads (the sandbox has no network)",
    "requests": "downloads (the sandbox has no network)",
    "os": "files and folders (the attributes of RESTRICTED only)",
    "sys": "streams, argv, the import path (the attributes of RESTRICTED only)",
    "traceback": "printing an exception (the attributes of RESTRICTED only)",
    "types": "SimpleNamespace (the attributes of RESTRICTED only)",
    "grader": "`from grader.notebook import check` in the course's notebooks, nothing else",
}

# Modules of MODULES a course exercise uses only a part of: that part, nothing else.
RESTRICTED: dict[str, frozenset[str]] = {
    "os": frozenset({
        "path", "environ", "getenv", "getcwd", "chdir", "listdir", "scandir", "walk", "makedirs", "mkdir",
        "remove", "unlink", "rmdir", "removedirs", "rename", "replace", "stat", "cpu_count", "sep",
        "linesep", "pathsep", "curdir", "pardir", "devnull", "fspath", "PathLike", "getpid", "name"}),
    "sys": frozenset({
        "stdout", "stderr", "stdin", "argv", "path", "version", "version_info", "platform", "exit",
        "maxsize", "float_info", "int_info", "byteorder", "getsizeof", "executable", "implementation",
        "getrecursionlimit", "setrecursionlimit", "exc_info", "exception", "getdefaultencoding"}),
    "traceback": frozenset({"print_exc", "format_exc", "print_exception", "format_exception",
                            "format_exception_only"}),
    "types": frozenset({"SimpleNamespace"}),
}
GRADER_ALLOWED = "grader.notebook.check"

# Rows a course may switch on for one exercise (course.toml: exercises.<ch>.<name>.review_allow).
OPTIONAL: dict[str, str] = {
    "threading": "threads", "concurrent": "thread and process pools", "queue": "queues between threads",
    "multiprocessing": "processes", "subprocess": "programs",
    "torch.multiprocessing": "processes sharing tensors",
    "torch.jit": "TorchScript in an exercise with bans", "torch.compile": "torch.compile in an exercise with bans",
    **{name: f"{name} inside a function with bans" for name in ("numpy", "scipy", "sklearn", "pandas", "statistics")},
}

# What a module import outside MODULES is for, where it is a known way around the engine.
MODULE_RISKS: dict[str, str] = {
    "ctypes": "writes memory below Python", "cffi": "writes memory below Python",
    "gc": "finds the grader's objects", "inspect": "reaches the grader's frames and code",
    "importlib": "imports and reloads modules by name", "pkgutil": "imports modules by name",
    "runpy": "runs code by name", "builtins": "replaces what every module sees",
    "pickle": "runs code while loading data", "marshal": "loads code objects", "shelve": "pickle",
    "dill": "pickle", "copyreg": "changes how objects are pickled",
    "threading": "starts threads", "_thread": "starts threads", "concurrent": "starts threads or processes",
    "queue": "feeds threads", "multiprocessing": "starts processes", "subprocess": "starts programs",
    "asyncio": "runs code later", "signal": "runs code on signals", "atexit": "runs code at exit",
    "socket": "opens connections", "mmap": "maps memory", "resource": "changes limits",
    "sysconfig": "reads the interpreter's build", "site": "changes the import path",
    "code": "compiles code", "codeop": "compiles code", "dis": "reads code objects",
    "weakref": "runs code when objects die", "faulthandler": "reaches frames",
    "tracemalloc": "reaches frames", "sched": "runs code later", "posix": "calls the kernel",
    "fcntl": "calls the kernel", "select": "waits on file descriptors", "pty": "starts a terminal",
    "numba": "compiles code below Python", "triton": "compiles kernels", "cupy": "runs kernels",
    "jax": "another array library",
}

# Parts of torch a course exercise never uses: each is a way below or around the checker.
TORCH_OFF_LIMITS: dict[str, str] = {
    "torch.ops": "uses torch.ops (raw operators, around the course's bans)",
    "torch.library": "uses torch.library (defines custom operators)",
    "torch.overrides": "uses torch.overrides (torch function modes and overrides)",
    "torch.fx": "uses torch.fx (rewrites programs)",
    "torch.export": "uses torch.export (traces programs)",
    "torch.package": "uses torch.package (loads code)",
    "torch.hub": "uses torch.hub (loads code)",
    "torch.classes": "uses torch.classes (C++ classes)",
    "torch.distributed": "uses torch.distributed (processes and network)",
    "torch.utils.cpp_extension": "uses torch.utils.cpp_extension (compiles C++)",
    "torch.utils.hooks": "uses torch.utils.hooks (the hook tables the grader records with)",
    "torch.cuda.jiterator": "uses torch.cuda.jiterator (compiles kernels)",
    "torch.nn.modules.module": "uses torch.nn.modules.module (global module hooks)",
    "torch.multiprocessing": "uses torch.multiprocessing (starts processes)",
}
# Parts of torch an exercise with bans does not use: compiled code runs where no mode can see it.
_OUT_OF_VIEW = "in an exercise with bans ({} run outside the checker's view)"
TORCH_IN_BANS: dict[str, str] = {
    "torch.jit": "uses torch.jit " + _OUT_OF_VIEW.format("TorchScript programs"),
    "torch.compile": "uses torch.compile " + _OUT_OF_VIEW.format("compiled kernels"),
    **dict.fromkeys(("torch.cuda.graphs", "torch.cuda.graph", "torch.cuda.CUDAGraph"),
                    "uses CUDA graphs " + _OUT_OF_VIEW.format("replayed kernels")),
}
# Private torch names worth naming in a finding (any other one is "a private name of torch").
TORCH_PRIVATE = frozenset({
    "_C", "_ops", "_VF", "_dynamo", "_inductor", "_prims", "_refs", "_decomp", "_subclasses", "_functorch",
    "_higher_order_ops", "_library", "_jit_internal", "_tensor", "_utils", "_python_dispatch", "_pytree",
    "_guards", "_export", "_lazy", "_classes", "_sources", "_weights_only_unpickler", "_make_subclass",
    "_make_wrapper_subclass", "_nn", "_linalg", "_special", "_fft", "_version", "_base", "_cdata",
    "_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks", "_state_dict_hooks",
    "_state_dict_pre_hooks", "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks",
    "_global_forward_hooks", "_global_forward_pre_hooks", "_global_backward_hooks", "_execution_engine",
    "_call_impl", "_wrapped_call_impl", "_slow_forward", "_apply", "_trilinear", "_safe_softmax",
    "_softmax", "_log_softmax", "_convolution", "_disabled_torch_function_impl", "_exit",
    "_getframe", "_current_frames", "_clear_type_cache", "_xoptions",
})
# Private attributes honest code reaches on objects it did not define: nn.Module's own tables as
# the book's MySequential writes them, a namedtuple's API.
HONEST_PRIVATE = frozenset({"_modules", "_parameters", "_buffers", "_replace", "_asdict", "_fields", "_make",
                            "_get_name", "_base", "_version",   # a view's base, the in-place counter: read-only
                            "_flat_weights_names"})             # an RNN's weight names (the book's seq2seq)
# ... and ones that are never the student's, whoever defines an attribute of that name.
ENGINE_PRIVATE = frozenset(n for n in TORCH_PRIVATE if n not in HONEST_PRIVATE)

# Dunder methods a course class defines.
HONEST_DUNDER_DEFS = frozenset({
    "__init__", "__call__", "__len__", "__getitem__", "__setitem__", "__delitem__", "__iter__", "__next__",
    "__contains__", "__reversed__", "__repr__", "__str__", "__format__", "__enter__", "__exit__",
    "__post_init__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__", "__bool__",
    "__add__", "__radd__", "__iadd__", "__sub__", "__rsub__", "__isub__", "__mul__", "__rmul__", "__imul__",
    "__truediv__", "__rtruediv__", "__itruediv__", "__floordiv__", "__mod__", "__pow__", "__matmul__",
    "__neg__", "__pos__", "__abs__",
})
# Dunder attributes honest code reads (besides calling the methods above).
HONEST_DUNDER_LOADS = HONEST_DUNDER_DEFS | frozenset({
    "__name__", "__qualname__", "__module__", "__doc__", "__class__", "__version__", "__file__",
    "__annotations__", "__dataclass_fields__", "__all__", "__new__", "__array_interface__"})
# Private or dunder names honest code spells out as a string, besides the methods of
# HONEST_DUNDER_DEFS (`hasattr(y, "__len__")`); the rest are what a computed getattr would reach.
SPELLED_OK = frozenset({"__main__", "__init__", "__name__", "__doc__", "__version__", "__all__"})
# Dunder names a module or class body may bind.
HONEST_DUNDER_NAMES = frozenset({"__all__", "__slots__", "__doc__", "__version__", "__author__",
                                 "__annotations__"})
# What a dunder finding says, for the dunders a route around the engine uses.
DUNDER_RISKS: dict[str, str] = {
    "__class__": "an object's class", "__dict__": "an object's namespace", "__code__": "a function's code",
    "__globals__": "another module's namespace", "__closure__": "a function's hidden state",
    "__wrapped__": "the function under a wrapper", "__self__": "the object behind a bound method",
    "__func__": "the function behind a method", "__defaults__": "a function's defaults",
    "__kwdefaults__": "a function's defaults", "__subclasses__": "every subclass of a class",
    "__bases__": "a class's bases", "__mro__": "a class's bases", "__builtins__": "the builtins",
    "__import__": "the import machinery", "__loader__": "the import machinery", "__spec__": "the import machinery",
    "__setattr__": "attribute assignment", "__getattribute__": "attribute lookup",
    "__getattr__": "attribute lookup", "__delattr__": "attribute deletion",
    "__torch_function__": "torch's function dispatch", "__torch_dispatch__": "torch's operator dispatch",
    "__del__": "code run when an object dies", "__reduce__": "pickling", "__reduce_ex__": "pickling",
    "__array__": "numpy conversion", "__array_function__": "numpy dispatch", "__array_ufunc__": "numpy dispatch",
    "__init_subclass__": "class creation", "__set_name__": "class creation", "__class_getitem__": "class lookup",
    "__instancecheck__": "isinstance", "__subclasscheck__": "issubclass", "__index__": "integer conversion",
    "__float__": "float conversion", "__int__": "integer conversion", "__get__": "descriptors",
    "__set__": "descriptors", "__delete__": "descriptors", "__dlpack__": "sharing memory",
    "__traceback__": "an exception's frames", "__context__": "an exception's chain",
}
# Attributes of frames, tracebacks, generators and code objects: the grader's stack.
FRAME_ATTRIBUTES = frozenset({
    "f_back", "f_locals", "f_globals", "f_builtins", "f_code", "f_trace", "f_lineno", "tb_frame", "tb_next",
    "gi_frame", "gi_code", "cr_frame", "ag_frame", "co_code", "co_consts", "co_names", "co_filename",
    "cell_contents"})
# Classes a course exercise does not subclass: a tensor subclass can intercept every operation.
TENSOR_CLASSES = frozenset({"torch.Tensor", "torch._C.TensorBase", "torch._C._TensorBase"})
# Tensor methods that call back into Python once per element.
CALLBACK_METHODS = frozenset({"apply_", "map_", "map2_"})
# Builtins a course exercise never needs.
DYNAMIC_BUILTINS: dict[str, str] = {
    "exec": "runs code the review cannot read", "eval": "runs code the review cannot read",
    "compile": "compiles code the review cannot read", "__import__": "imports a module by name",
    "globals": "reaches the module's namespace", "locals": "reaches a frame's namespace",
    "vars": "reaches an object's namespace", "breakpoint": "starts a debugger",
}
REFLECTION = ("getattr", "setattr", "delattr")
# Module attributes an exercise may set: configuration, not library code.
SETTABLE = frozenset({"torch.backends.cudnn.benchmark", "torch.backends.cudnn.deterministic",
                      "torch.backends.cudnn.enabled", "matplotlib.rcParams", "matplotlib.pyplot.rcParams",
                      "os.environ"})
SUBSCRIPT_SETTABLE = frozenset({"os.environ", "matplotlib.rcParams", "matplotlib.pyplot.rcParams"})

# Public names that compute what a banned name computes, by banned name (course.toml's forbid
# lists): inside a function with that ban they are a finding, as numpy there is.
_SOFTMAX = frozenset({"scaled_dot_product_attention", "multi_head_attention_forward", "MultiheadAttention",
                      "Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
                      "TransformerDecoderLayer", "kl_div", "logaddexp", "logaddexp2"})
_NLL = frozenset({"kl_div", "binary_cross_entropy", "binary_cross_entropy_with_logits",
                  "multilabel_soft_margin_loss", "poisson_nll_loss", "KLDivLoss", "BCELoss", "BCEWithLogitsLoss"})
_NORM = frozenset({"cdist", "pdist", "pairwise_distance", "renorm", "normalize",
                   "clip_grad_norm_", "get_total_norm", "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss",
                   "cosine_similarity", "PairwiseDistance"})
_MATMUL = frozenset({"bilinear", "Bilinear", "vecdot", "chain_matmul", "baddbmm", "addbmm", "multi_dot",
                     "conv1d", "conv2d", "cosine_similarity", "kron"})
_CONV = frozenset({"conv_tbc", "fft", "rfft", "fft2", "rfft2", "fftn", "rfftn", "irfft", "irfft2", "irfftn",
                   "deform_conv2d"})
_POOL = frozenset({"lp_pool1d", "lp_pool2d", "lp_pool3d", "fractional_max_pool2d", "fractional_max_pool3d",
                   "LPPool1d", "LPPool2d", "FractionalMaxPool2d"})
_BATCH_NORM = frozenset({"instance_norm", "group_norm", "layer_norm", "rms_norm", "local_response_norm",
                         "InstanceNorm1d", "InstanceNorm2d", "GroupNorm", "LayerNorm", "RMSNorm"})
_SIGMOID = frozenset({"expit", "logsigmoid", "glu", "LogSigmoid", "GLU"})
_RELU = frozenset({"elu", "ELU"})
_REGRESSION = frozenset({"pairwise_distance", "cdist", "dist", "PairwiseDistance"})
_GRAD = frozenset({"vjp", "jvp", "jacrev", "jacfwd", "jacobian", "hessian", "hvp", "vhp", "grad_and_value"})
_STATS = frozenset({"cov", "corrcoef"})
_MEAN = frozenset({"cumsum", "cumulative_trapezoid", "trapezoid", "trapz", "std_mean", "var_mean",
                   "avg_pool1d", "adaptive_avg_pool1d", "einsum", "dot", "matmul", "mv", "trace"})
ROUTES: dict[str, frozenset[str]] = {
    **dict.fromkeys(("softmax", "_softmax", "log_softmax", "_log_softmax", "logsumexp", "logcumsumexp"), _SOFTMAX),
    **dict.fromkeys(("cross_entropy", "cross_entropy_loss", "nll_loss", "nll_loss_nd", "nll_loss_forward"), _NLL),
    **dict.fromkeys(("norm", "linalg_vector_norm", "linalg_norm", "frobenius_norm", "linalg_matrix_norm",
                     "dist"), _NORM),
    **dict.fromkeys(("mv", "matmul", "mm", "dot", "einsum", "addmv", "tensordot", "inner", "bmm", "vdot",
                     "addmm", "linalg_multi_dot"), _MATMUL),
    "linear": frozenset({"bilinear", "Bilinear"}),
    **dict.fromkeys(("conv1d", "conv2d", "conv3d", "convolution", "_convolution", "conv_transpose1d",
                     "conv_transpose2d", "cudnn_convolution"), _CONV),
    **dict.fromkeys(("max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d",
                     "max_pool2d_with_indices"), _POOL),
    **dict.fromkeys(("batch_norm", "native_batch_norm", "_native_batch_norm_legit"), _BATCH_NORM),
    **dict.fromkeys(("sigmoid", "tanh", "silu"), _SIGMOID),
    **dict.fromkeys(("relu", "threshold", "clamp", "clamp_min"), _RELU),
    **dict.fromkeys(("l1_loss", "mse_loss", "huber_loss", "smooth_l1_loss"), _REGRESSION),
    **dict.fromkeys(("backward", "grad"), _GRAD),
    **dict.fromkeys(("median", "nanmedian", "quantile", "nanquantile", "std", "var"), _STATS),
    **dict.fromkeys(("linalg_matrix_rank", "matrix_rank"), frozenset({"lstsq"})),
    **dict.fromkeys(("mean", "sum", "nansum", "nanmean"), _MEAN),
    **dict.fromkeys(("broadcast_shapes", "broadcast_to", "expand"), frozenset({"expand_as"})),
    "flatten": frozenset({"ravel"}),
    **dict.fromkeys(("dropout", "alpha_dropout"), frozenset({"feature_alpha_dropout", "FeatureAlphaDropout"})),
}
# Modules that compute by hand what a ban keeps from torch (numpy's mean, statistics.median).
BAN_MODULES = {name: f"uses {name} inside a function whose torch built-ins are banned"
               for name in ("numpy", "scipy", "sklearn", "pandas", "statistics")}
