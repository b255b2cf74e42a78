"""A worker's syscall filter: Docker's default seccomp profile as the baseline, our rules on top.

The policy is the tables below, compiled by libseccomp (through `pyseccomp`, ctypes over the
system's libseccomp2) once in the zygote; each worker loads the compiled program before any
student code runs. Every system call not allowed is refused with EPERM, as Docker refuses it;
`clone3` answers ENOSYS (its flags sit in memory, where a filter cannot read them) so glibc falls
back to `clone`, whose namespace flags the filter can see. System calls of another ABI (i386
through int 0x80, x32) are refused too: the filter only speaks the native one.

Where libseccomp cannot be loaded or the kernel refuses a filter there is none, and the sandbox
level says so.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
from dataclasses import dataclass

AF_UNIX, AF_INET, AF_INET6, AF_PACKET = 1, 2, 10, 17
FAMILY_NAMES = {AF_UNIX: "unix", AF_INET: "inet", AF_INET6: "inet6", AF_PACKET: "packet"}
SOCK_STREAM, SOCK_SEQPACKET = 1, 5

# ---------------------------------------------------------------------------- the baseline
# What Docker's default profile allows a container that holds no capability (a worker holds none,
# or only CAP_DAC_READ_SEARCH), on x86_64 and aarch64. Source: github.com/moby/profiles,
# seccomp/default.json at commit 02e898b137aed1024e232d59bcb05e6179b72177, the profile dockerd
# and containerd apply to every container unless told otherwise. Names of other architectures
# (chown32, ...) and names this machine's libseccomp does not know are skipped: refused.
DOCKER_SOURCE = "moby/profiles seccomp/default.json@02e898b"
DOCKER_ALLOWED = frozenset("""
accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown chown32
clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2
dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat
fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64
fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_requeue futex_time64
futex_wait futex_waitv futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32
geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp
getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit
get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday getuid
getuid32 getxattr getxattrat inotify_add_watch inotify_init inotify_init1 inotify_rm_watch
io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set
io_setup io_submit ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown
lchown32 lgetxattr link linkat listen listmount listxattr listxattrat llistxattr _llseek
lremovexattr lseek lsetxattr lstat lstat64 madvise map_shadow_stack membarrier memfd_create
memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect
mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend
mq_timedsend_time64 mq_unlink mremap mseal msgctl msgget msgrcv msgsnd msync munlock munlockall
munmap name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause pidfd_open
pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl
pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev
pwritev2 read readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg
remap_file_pages removexattr removexattrat rename renameat renameat2 restart_syscall riscv_hwprobe
rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend
rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr
sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler
sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr
sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop
semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid
setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid
setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit
set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr
setxattrat shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn
socketcall socketpair splice stat stat64 statfs statfs64 statmount statx symlink symlinkat sync
sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun
timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime
timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit
umask uname unlink unlinkat uretprobe utime utimensat utimensat_time64 utimes vfork vmsplice wait4
waitid waitpid write writev
process_vm_readv process_vm_writev ptrace
""".split())   # the last line: allowed "since Linux 4.8" (minKernel); our rules refuse them below
DOCKER_ALLOWED_ON = {"x86_64": ("arch_prctl", "modify_ldt"),
                     "aarch64": ("arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
                                 "breakpoint", "cacheflush", "set_tls")}
# allowed only with these arguments
DOCKER_SOCKET_FAMILIES = (*range(12), *range(13, 19), 21, 22, 24, *range(26, 34), 35, 36, 39, *range(41, 46))
DOCKER_PERSONALITIES = (0x0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF)
CLONE_NEW_NAMESPACES = 0x7E020000   # clone() with none of these flags (a namespace needs CAP_SYS_ADMIN)

# ---------------------------------------------------------------------------- our rules on top


@dataclass(frozen=True)
class Refusal:
    """System calls refused although, or restated where, Docker's profile allows them; `when`
    names the fact of the machine that makes the rule apply (always, when empty)."""
    syscalls: tuple[str, ...]
    why: str
    when: str = ""


SYSV_IPC = ("shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
            "msgget", "msgsnd", "msgrcv", "msgctl", "ipc", "mq_open", "mq_unlink", "mq_timedsend",
            "mq_timedreceive", "mq_notify", "mq_getsetattr")
NO_IPC_NAMESPACE = "no IPC namespace"
NO_MEMORY_CGROUP = "no memory cgroup"

REFUSALS = (
    Refusal(("add_key", "keyctl", "request_key"),
            "the kernel keyring is not namespaced: a channel between two students graded at the "
            "same time (Docker refuses these too)"),
    Refusal(("ptrace", "process_vm_readv", "process_vm_writev"),
            "reading or writing another process's memory: its own DataLoader children, and, when "
            "not root, classmates with the same uid (Docker allows these from Linux 4.8)"),
    Refusal(("kcmp", "pidfd_getfd", "process_madvise"),
            "another process's files and memory (Docker: only with CAP_SYS_PTRACE)"),
    Refusal(("bpf",), "kernel programs and maps (Docker: only with CAP_BPF or CAP_SYS_ADMIN)"),
    Refusal(("perf_event_open",),
            "hardware counters: timing side channels on classmates (Docker: only with CAP_PERFMON)"),
    Refusal(("userfaultfd",),
            "stalls the kernel on a page fault of the caller's choosing, the usual tool of kernel "
            "exploits (not in Docker's profile)"),
    Refusal(("io_uring_setup", "io_uring_enter", "io_uring_register"),
            "the operations it queues are never seen by a syscall filter (not in Docker's profile)"),
    Refusal(("open_by_handle_at",),
            "opens any file by its handle, past Landlock's path rules; Docker allows it with "
            "CAP_DAC_READ_SEARCH, which a worker keeps when the Python install is in a private dir"),
    Refusal(("memfd_create", "memfd_secret"),
            "memory held in a memfd is not address space (RLIMIT_AS): without a memory cgroup to "
            "count it, a worker could hold more than its limit", when=NO_MEMORY_CGROUP),
    Refusal(SYSV_IPC,
            "SysV IPC and POSIX message queues are machine-wide without an IPC namespace: a "
            "channel between students", when=NO_IPC_NAMESPACE),
)
# socket(): inet, inet6 and packet always (Landlock cannot stop UDP), unix too where the worker
# could reach other programs' sockets; socketpair(): stream and seqpacket only (a datagram pair
# can `sendto` a path). Refused families are chosen by the zygote (state.socket_families).


# ---------------------------------------------------------------------------- compiling, loading

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

_libc = ctypes.CDLL(None, use_errno=True)


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


@dataclass(frozen=True)
class Filter:
    """The compiled policy (classic BPF), made once in the zygote; `install` in each worker."""
    program: bytes
    refused: tuple[str, ...]        # our rules in force, for the sandbox level
    families: tuple[int, ...]

    def install(self) -> None:
        """Load the filter for this process and everything it starts (no privilege regained
        through exec: no_new_privs)."""
        buf = ctypes.create_string_buffer(self.program, len(self.program))
        fprog = _Fprog(len(self.program) // 8, ctypes.cast(buf, ctypes.c_void_p))
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
                _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"seccomp: {os.strerror(err)}")

    def describe(self) -> str:
        text = (f"seccomp: Docker's default profile ({DOCKER_SOURCE}) and no keyring, bpf, "
                "perf_event_open, userfaultfd, io_uring, ptrace or process_vm_*, open_by_handle_at; "
                "no new sockets (" + ", ".join(FAMILY_NAMES[f] for f in self.families) + ")")
        if "shmget" in self.refused:
            text += ", no SysV IPC or POSIX message queues"
        if "memfd_create" in self.refused:
            text += ", no memfd"
        return text


def refused(conditions: set[str]) -> tuple[str, ...]:
    """The system calls our rules refuse on a machine where `conditions` hold."""
    return tuple(name for rule in REFUSALS if not rule.when or rule.when in conditions
                 for name in rule.syscalls)


def compile_filter(deny_families: tuple[int, ...], conditions: set[str]) -> Filter:
    """Docker's allowlist minus our refusals, as a BPF program for this architecture. Raises
    OSError/ImportError/RuntimeError where libseccomp is missing or refuses."""
    import pyseccomp as sc

    refuse = set(refused(conditions))
    f = sc.SyscallFilter(sc.ERRNO(errno.EPERM))
    f.set_attr(sc.Attr.ACT_BADARCH, sc.ERRNO(errno.EPERM))
    try:
        f.set_attr(sc.Attr.CTL_OPTIMIZE, 2)    # a binary tree, not a list of ~350 comparisons
    except OSError:
        pass                                   # libseccomp < 2.5: the list

    def allow(name: str, *args: sc.Arg) -> None:
        nr = sc.resolve_syscall(sc.Arch.NATIVE, name)
        if nr >= 0:                            # negative: not a system call of this architecture
            f.add_rule(sc.ALLOW, nr, *args)

    for name in sorted((DOCKER_ALLOWED | set(DOCKER_ALLOWED_ON.get(platform.machine(), ()))) - refuse):
        allow(name)
    for family in DOCKER_SOCKET_FAMILIES:
        if family not in deny_families:
            allow("socket", sc.Arg(0, sc.EQ, family))
    for kind in (SOCK_STREAM, SOCK_SEQPACKET):
        allow("socketpair", sc.Arg(1, sc.MASKED_EQ, 0xF, kind))
    for persona in DOCKER_PERSONALITIES:
        allow("personality", sc.Arg(0, sc.EQ, persona))
    allow("clone", sc.Arg(0, sc.MASKED_EQ, CLONE_NEW_NAMESPACES, 0))
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    out = os.memfd_create("tg-seccomp")        # the zygote is not filtered
    try:
        with os.fdopen(out, "w+b", closefd=False) as fh:
            f.export_bpf(fh)
            fh.seek(0)
            program = fh.read()
    finally:
        os.close(out)
    return Filter(program, tuple(sorted(refuse)), tuple(deny_families))


def build(deny_families: tuple[int, ...], conditions: set[str]) -> tuple[Filter | None, str]:
    """The filter for this machine, proven in a throw-away child (it loads, the keyring is
    refused, the rest still runs), or None and why not."""
    from grader.sandbox.children import in_child

    if platform.machine() not in DOCKER_ALLOWED_ON:
        return None, f"no policy for {platform.machine()}"
    try:
        built = compile_filter(deny_families, conditions)
    except (ImportError, OSError, RuntimeError) as exc:   # pyseccomp raises RuntimeError without libseccomp
        return None, f"libseccomp unavailable: {exc}"

    def proof() -> None:
        built.install()
        keyctl = {"x86_64": 250, "aarch64": 219}[platform.machine()]
        if _libc.syscall(keyctl, 0, -3) != -1 or ctypes.get_errno() != errno.EPERM:
            raise OSError("the filter did not refuse keyctl")
        os.getpid()
    if not in_child(proof):
        return None, "the kernel refused the filter"
    return built, ""
