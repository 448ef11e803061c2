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
// Isolated (Linux, as root) re-executes Config.SelfExe with the hidden
// sandbox-init subcommand (InitMain) in new mount, PID, IPC and UTS
// namespaces. The init builds the environment's file system and then
// executes the runtime in its own place, so the runtime is PID 1 of its PID
// namespace and no Go process stays behind. The file system is the host's,
// read-only and nosuid, with these mounts on top:
//
//	/var/task   Spec.CodeDir, read-only; the working directory
//	/opt        Spec.OptDir, read-only (an empty directory without one)
//	/tmp        a private tmpfs of Spec.TmpMB (mode 1777)
//	/proc       a new proc for the PID namespace
//	/dev        a tmpfs with null, zero, full, random, urandom and the fd links
//	HiddenPaths and WorkDir: an empty read-only tmpfs (or /dev/null over a file)
//
// The runtime runs as Config.UID/GID (993 by default) with no supplementary
// groups, no capabilities, no_new_privs, at most 1024 open files and no core
// dumps. Spec.CodeDir and OptDir must therefore be readable (and their
// executables executable) by that uid. Mount points missing on the host (such
// as /var/task) are made without writing to the host: the parent directory is
// mirrored on a tmpfs.
//
// The network namespace is NOT separated: the runtime must reach its Runtime
// API on the host's 127.0.0.1, so an environment shares the host's network
// stack and can connect to anything listening there.
//
// Limits go to cgroups: memory (memory.max or memory.limit_in_bytes, swap
// off) and pids, each in whichever hierarchy has the controller (cgroup v2,
// or v1 on hybrid hosts), under <own cgroup>/<Config.CgroupRoot>/<Spec.ID>.
// On cgroup v2 the child is cloned straight into its cgroup
// (CLONE_INTO_CGROUP), falling back to joining by pid; on v1 it joins by pid
// before the init may go on. A controller that cannot be used leaves its
// limit unenforced, and NewManager logs which are.
//
// Unisolated (any OS; Linux when not root, or Isolation "off") executes the
// runtime directly, in its own process group, with lambdad's uid. Paths in
// Spec.Command under /var/task, /opt and /tmp are rewritten to CodeDir,
// OptDir and a private directory under WorkDir, whose path also goes into
// TMPDIR; RuntimePath tells the caller the same mapping. Only the number of
// open files is limited (set right after the start, so early children keep
// the old limit); memory, pids, the /tmp size, read-only code and hidden
// paths are not enforced. RLIMIT_AS is deliberately not used: Go and other
// runtimes reserve far more address space than they use.
//
// # Lifecycle
//
//	Start ──► running ──(exits, is killed, or OOM-killed)──► Done closed
//	             │                                            ▲
//	             └── Stop: SIGTERM, grace, SIGKILL ───────────┘
//	             └── Kill: SIGKILL ───────────────────────────┘
//
// Stop and Kill signal the runtime and its process group and, on SIGKILL,
// every process of its cgroup. When isolated, the death of the runtime (PID
// 1) makes the kernel kill the rest of its namespace, so Done means the whole
// tree is gone. Because the runtime is PID 1, SIGTERM reaches it only if it
// handles SIGTERM (Go programs do: they exit); a runtime that does not is
// killed when the grace period ends. When unisolated, the processes left in
// the group when the runtime exits are sent SIGKILL; a process that left the
// group (setsid) escapes.
//
// A child of lambdad gets SIGKILL when lambdad dies (Pdeathsig), so nothing
// outlives a crashed daemon.
package sandbox
