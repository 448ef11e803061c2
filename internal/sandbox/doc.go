// Package sandbox starts, isolates, measures and kills the runtime processes
// of execution environments.
//
// An environment is one process tree: the runtime named by Spec.Command (a
// bootstrap binary, an interpreter, a shell script) and whatever it starts.
// The package knows nothing of Lambda beyond the file system layout
// (/var/task, /opt, /tmp); the caller builds the environment variables and
// runs the Runtime API server the runtime talks to.
//
// # Modes
//
// A Manager runs every environment in one Mode, chosen once by NewManager
// from Config.Isolation and logged at Info ("sandbox mode").
//
// Isolated (Linux, as root) runs the runtime in new mount, PID, IPC and UTS
// namespaces. The network namespace is NOT separated: the runtime must reach
// its Runtime API on the host's 127.0.0.1, so an environment shares the
// host's network stack and can connect to anything listening there,
// including other environments' Runtime API ports. What keeps it out of
// them is its uid: every environment runs as a uid of its own (an Identity,
// from Config.UID up), reserved before it starts, and the socket of a TCP
// connection carries the uid that created it. Identity.CheckPeer looks the
// peer's socket up with sock_diag (one netlink round trip per connection,
// tens of µs; runtimes keep their connection) and admits only that uid. A uid
// returns to the range once the environment's PID namespace is gone, and
// the range is handed out round-robin, so it is reused as late as possible:
// a socket keeps its creator's uid wherever it goes (another environment of
// the same attacker could hold one over an abstract unix socket), so a uid
// reused while such a socket lives would let it in.
// (A network namespace per environment would separate more, but creating
// one and forwarding the Runtime API into it costs milliseconds of cold
// start; a secret cannot help, as AWS_LAMBDA_RUNTIME_API is only host:port.)
//
// The file system is the host's, read-only and nosuid, with these mounts on
// top:
//
//	/var/task   Spec.CodeDir, read-only, nodev; the working directory
//	/opt        Spec.OptDir, read-only (an empty directory without one)
//	/var/runtime  Spec.RuntimeDir, read-only (an empty directory without one)
//	/tmp        a private tmpfs of Spec.TmpMB, mode 1777; it counts against
//	            the memory limit and lives as long as the process
//	/proc       a new proc for the PID namespace
//	/dev        a tmpfs with null, zero, full, random, urandom and fd links
//	HiddenPaths and WorkDir: an empty read-only tmpfs (/dev/null over a file)
//
// Mount points the host lacks (such as /var/task) are made without writing
// to the host: their parent directory is mirrored on a tmpfs. The runtime
// runs as its Identity's uid and gid (from 1879048192 up by default) with
// no supplementary groups, no capabilities and no_new_privs, with at most
// 1024 open files and no core dumps, so Spec.CodeDir and OptDir must be
// readable (and their executables executable) by any uid. It is PID 1 of its namespace: when it dies, the
// kernel kills the rest of the namespace, so nothing is orphaned.
//
// Limits go to cgroups: memory (memory.max or memory.limit_in_bytes, swap
// off; on cgroup v2 an OOM kill takes the whole environment) and pids, each
// in the hierarchy that has the controller: cgroup v2, or v1 on hybrid hosts.
// The environments' cgroups live under <lambdad's cgroup>/<CgroupRoot>/<pid>,
// so that lambdads sharing a CgroupRoot clean up only after dead ones; on
// cgroup v2 lambdad moves itself into a leaf (lambdad-daemon) if its own
// cgroup holds processes and so could not hand controllers down. A
// controller that cannot be used leaves its limit unenforced; NewManager
// logs which are enforced where.
//
// # The init and the warm pool
//
// Isolation is set up by the init: Config.InitExe (lambdad-init, a small
// binary that runs InitMain and starts in ~2 ms of CPU) when it passes the
// start-up test, else Config.SelfExe re-executed with the hidden
// sandbox-init subcommand, which main dispatches to InitMain (~6-9 ms: the
// package initialisation and page faults of a large program). The init
// builds the root in its private mount namespace, pivots into it, drops
// privileges and executes the runtime in its own place, so no Go process
// stays behind.
//
// Inits are forked by the spawner, a thread of lambdad with a descriptor
// table of its own (unshared when the Manager starts, holding almost
// nothing): a child forked from lambdad's own table would copy and close
// its thousands of descriptors on every start once many environments run.
//
// Starting an init still takes milliseconds, so a Manager keeps Config.WarmInits inits started ahead of need: each already
// in a cgroup v2 cgroup of its own (named warm-<random>: cgroup v2 forbids
// renaming), with the part of the root every environment shares already
// built, waiting on a socket for its environment and the runtime's stdin,
// stdout and stderr. Start takes one, makes its cgroup v1 cgroups (named
// after the environment), sets its limits and hands it the Spec: about
// 2 ms. When the pool is empty Start starts an init itself, cloned straight
// into its cgroup v2 cgroup (CLONE_INTO_CGROUP, joining by pid where that
// fails).
//
// No process is ever moved into a cgroup v1 cgroup by pid: that takes the
// kernel's global cgroup_threadgroup_rwsem, which waits for an RCU grace
// period while holding cgroup_mutex, so a burst of environments would start
// one at a time, ~9 ms apart. Instead the init moves the one thread that
// will execute the runtime, by writing "0" to each cgroup's tasks file,
// which skips that lock; the other threads end at execve, and the runtime's
// new address space is owned by the moved thread, so memory and pids are
// charged to the environment from the runtime's first instruction.
// A warm init takes its mount namespace from the moment it was started: a
// CodeDir or OptDir on a file system mounted after that is not visible to
// it, so keep them on a file system mounted before lambdad starts.
//
// # Unisolated
//
// Unisolated (any OS; Linux when not root, or Isolation "off") executes the
// runtime directly, in its own process group, with lambdad's uid: every
// Identity is lambdad's, so CheckPeer keeps out other users of the host but
// not other environments. Paths in
// Spec.Command under /var/task, /opt, /tmp and /var/runtime are rewritten
// to CodeDir, OptDir, a private directory under WorkDir (whose path also
// goes into TMPDIR) and RuntimeDir; RuntimePath tells the caller the same mapping. Only the number of
// open files is limited (right after the start, so a child forked at once
// may keep the old limit); memory, pids, the /tmp size, read-only code and
// hidden paths are not enforced. RLIMIT_AS is deliberately not used: Go and
// other runtimes reserve far more address space than they use.
//
// # Lifecycle
//
//	Start ──► running ──(exits, is killed, or OOM-killed)──► Done closed
//	             │                                             ▲
//	             ├── Stop: SIGTERM, grace, SIGKILL ────────────┤
//	             └── Kill: SIGKILL ────────────────────────────┘
//
// Stop and Kill signal the runtime and its process group and, on SIGKILL,
// every process of its cgroup v2 cgroup. Because an isolated runtime is PID
// 1, SIGTERM reaches it only if it handles SIGTERM (Go programs do, and
// exit); one that does not is killed when the grace period ends. When
// unisolated, what is left in the group when the runtime exits is sent
// SIGKILL; a process that left the group (setsid) escapes.
//
// Every child of lambdad gets SIGKILL when lambdad dies (the parent death
// signal), so nothing outlives a crashed daemon.
package sandbox
