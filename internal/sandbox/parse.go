package sandbox

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The parsers below read kernel files. They take readers or bytes, never
// paths, so that tests and fuzzers can feed them anything.

// mountInfo is one line of /proc/<pid>/mountinfo, see proc(5).
type mountInfo struct {
	ID, Parent   int
	Root         string // the directory of the file system mounted here
	Mountpoint   string
	Options      string // per-mount options, e.g. "rw,nosuid,relatime"
	FSType       string
	Source       string
	SuperOptions string // per-super-block options; cgroup v1 lists its controllers here
}

// parseMountinfo parses a mountinfo file:
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
func parseMountinfo(r io.Reader) ([]mountInfo, error) {
	var mounts []mountInfo
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if len(f) < 6 || sep < 0 || len(f) < sep+3 {
			return nil, fmt.Errorf("mountinfo line %d: %d fields", n, len(f))
		}
		id, err1 := strconv.Atoi(f[0])
		parent, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("mountinfo line %d: bad mount id", n)
		}
		mi := mountInfo{
			ID:         id,
			Parent:     parent,
			Root:       unescapeOctal(f[3]),
			Mountpoint: unescapeOctal(f[4]),
			Options:    f[5],
			FSType:     f[sep+1],
			Source:     unescapeOctal(f[sep+2]),
		}
		if len(f) > sep+3 {
			mi.SuperOptions = f[sep+3]
		}
		mounts = append(mounts, mi)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return mounts, nil
}

// unescapeOctal undoes the kernel's escaping of space, tab, newline and
// backslash in mountinfo paths (\040, \011, \012, \134).
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// cgroupMembership is one line of /proc/<pid>/cgroup: "4:memory:/a/b".
// Hierarchy 0 with no controllers is cgroup v2.
type cgroupMembership struct {
	Hierarchy   int
	Controllers []string
	Path        string
}

// parseProcCgroup parses /proc/<pid>/cgroup.
func parseProcCgroup(r io.Reader) ([]cgroupMembership, error) {
	var out []cgroupMembership
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		id, rest, ok1 := strings.Cut(line, ":")
		ctrls, path, ok2 := strings.Cut(rest, ":")
		h, err := strconv.Atoi(id)
		if !ok1 || !ok2 || err != nil || h < 0 || !strings.HasPrefix(path, "/") {
			return nil, fmt.Errorf("cgroup line %d: malformed %q", n, line)
		}
		m := cgroupMembership{Hierarchy: h, Path: path}
		if ctrls != "" {
			m.Controllers = strings.Split(ctrls, ",")
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read cgroup file: %w", err)
	}
	return out, nil
}

// parseKeyValues parses "key value" lines with integer values, the format of
// memory.events, memory.oom_control and memory.stat. Lines that do not fit
// are skipped.
func parseKeyValues(data []byte) map[string]int64 {
	kv := make(map[string]int64)
	for line := range bytes.Lines(data) {
		k, v, ok := strings.Cut(strings.TrimSpace(string(line)), " ")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			continue
		}
		kv[k] = n
	}
	return kv
}

// parseStatus parses /proc/<pid>/status into its "Key:\tvalue" pairs.
func parseStatus(data []byte) map[string]string {
	st := make(map[string]string)
	for line := range bytes.Lines(data) {
		k, v, ok := strings.Cut(string(line), ":")
		if !ok {
			continue
		}
		st[k] = strings.TrimSpace(v)
	}
	return st
}

// statusKB reads a "1234 kB" status value (VmHWM, VmRSS) as bytes.
func statusKB(v string) (int64, bool) {
	num, unit, _ := strings.Cut(v, " ")
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > 1<<50 || (unit != "kB" && unit != "") {
		return 0, false
	}
	return n * 1024, true
}

// parseInt64 parses a cgroup file holding one number ("max" is -1).
func parseInt64(data []byte) (int64, error) {
	s := strings.TrimSpace(string(data))
	if s == "max" {
		return -1, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse %q: %w", s, err)
	}
	return n, nil
}
