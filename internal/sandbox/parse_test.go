package sandbox

import (
	"reflect"
	"strings"
	"testing"
)

// Real files from a cgroup v1 hybrid host (the test machine) and a cgroup
// v2 host.
const (
	hybridMountinfo = `22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
28 27 0:25 / /mnt/a\040b ro,nosuid,nodev,relatime - tmpfs model\040tools ro,size=4k,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`
	hybridCgroup = `9:name=systemd:/
8:pids:/
4:memory:/process_api/403e8f6b48c5e2b04ecd33c012c3116f
1:cpu,cpuacct:/
0::/
`
	v2Mountinfo = `25 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw
30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`
	v2Cgroup = "0::/system.slice/lambdad.service\n"
)

func TestParseMountinfo(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []mountInfo
		wantErr bool
	}{
		{"empty", "", nil, false},
		{"v2 with optional fields", v2Mountinfo, []mountInfo{
			{ID: 25, Parent: 1, Root: "/", Mountpoint: "/", Options: "rw,relatime", FSType: "ext4", Source: "/dev/sda2", SuperOptions: "rw"},
			{ID: 30, Parent: 25, Root: "/", Mountpoint: "/sys/fs/cgroup", Options: "rw,nosuid,nodev,noexec,relatime", FSType: "cgroup2", Source: "cgroup2", SuperOptions: "rw,nsdelegate,memory_recursiveprot"},
		}, false},
		{"escaped space", "28 27 0:25 / /mnt/a\\040b ro - tmpfs my\\040fs ro\n", []mountInfo{
			{ID: 28, Parent: 27, Root: "/", Mountpoint: "/mnt/a b", Options: "ro", FSType: "tmpfs", Source: "my fs", SuperOptions: "ro"},
		}, false},
		{"no separator", "1 2 0:1 / / rw shared:1 ext4 /dev/x rw\n", nil, true},
		{"bad id", "x 2 0:1 / / rw - ext4 /dev/x rw\n", nil, true},
		{"too short", "1 2 3\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMountinfo(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestUnescapeOctal(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:        "plain",
		`a\040b`:       "a b",
		`tab\011x`:     "tab\tx",
		`back\134sl`:   `back\sl`,
		`short\04`:     `short\04`,
		`bad\999`:      `bad\999`,
		`end\`:         `end\`,
		`\040\040`:     "  ",
		`over\777ride`: `over\777ride`,
	} {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseProcCgroup(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []cgroupMembership
		wantErr bool
	}{
		{"v2", v2Cgroup, []cgroupMembership{{Hierarchy: 0, Path: "/system.slice/lambdad.service"}}, false},
		{"hybrid", hybridCgroup, []cgroupMembership{
			{Hierarchy: 9, Controllers: []string{"name=systemd"}, Path: "/"},
			{Hierarchy: 8, Controllers: []string{"pids"}, Path: "/"},
			{Hierarchy: 4, Controllers: []string{"memory"}, Path: "/process_api/403e8f6b48c5e2b04ecd33c012c3116f"},
			{Hierarchy: 1, Controllers: []string{"cpu", "cpuacct"}, Path: "/"},
			{Hierarchy: 0, Path: "/"},
		}, false},
		{"colon in path", "0::/a:b\n", []cgroupMembership{{Path: "/a:b"}}, false},
		{"relative path", "0::a\n", nil, true},
		{"no colons", "garbage\n", nil, true},
		{"negative id", "-1::/\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcCgroup(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseKeyValues(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]int64
	}{
		{"memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n",
			map[string]int64{"low": 0, "high": 0, "max": 12, "oom": 1, "oom_kill": 1, "oom_group_kill": 0}},
		{"memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n",
			map[string]int64{"oom_kill_disable": 0, "under_oom": 0, "oom_kill": 3}},
		{"junk skipped", "novalue\nkey x\nok 5\n", map[string]int64{"ok": 5}},
		{"empty", "", map[string]int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseKeyValues([]byte(tt.in)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	in := "Name:\tsleep\nVmHWM:\t    1234 kB\nCapEff:\t000001fffeffffff\nbroken line\n"
	st := parseStatus([]byte(in))
	if st["Name"] != "sleep" || st["CapEff"] != "000001fffeffffff" {
		t.Errorf("parseStatus = %q", st)
	}
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1234 kB", 1234 * 1024, true},
		{"0 kB", 0, true},
		{"12", 12 * 1024, true},
		{"12 MB", 0, false},
		{"-1 kB", 0, false},
		{"x kB", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		if got, ok := statusKB(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("statusKB(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseInt64(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"4096\n", 4096, false},
		{"max\n", -1, false},
		{"", 0, true},
		{"12k", 0, true},
	}
	for _, tt := range tests {
		got, err := parseInt64([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("parseInt64(%q) = %d, %v", tt.in, got, err)
		}
	}
}

func TestHostPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/var/task", "/code"},
		{"/var/task/", "/code"},
		{"/var/task/bin/x", "/code/bin/x"},
		{"/var/tasks", "/var/tasks"},
		{"/opt/layer", "/opt/layer"}, // no OptDir
		{"/tmp/x", "/scratch/x"},
		{"/var/runtime/python/bootstrap.py", "/rt/python/bootstrap.py"},
		{"/var/runtimes", "/var/runtimes"},
		{"bootstrap", "bootstrap"},
	}
	for _, tt := range tests {
		if got := hostPath("/code", "", "/scratch", "/rt", tt.in); got != tt.want {
			t.Errorf("hostPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEnvHelpers(t *testing.T) {
	env := []string{"PATH=/a", "X=1", "PATH=/b", "NOEQUALS"}
	if got := getenv(env, "PATH"); got != "/b" {
		t.Errorf("getenv PATH = %q", got)
	}
	if got := getenv(env, "MISSING"); got != "" {
		t.Errorf("getenv MISSING = %q", got)
	}
	got := setenv(env, "PATH", "/c")
	if want := []string{"X=1", "NOEQUALS", "PATH=/c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("setenv = %q, want %q", got, want)
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"abc-DEF_0.9":            true,
		"":                       false,
		".":                      false,
		"..":                     false,
		"a/b":                    false,
		"a b":                    false,
		strings.Repeat("x", 128): true,
		strings.Repeat("x", 129): false,
	} {
		if got := validID(id); got != want {
			t.Errorf("validID(%q) = %v", id, got)
		}
	}
}

func TestExitStatusError(t *testing.T) {
	for st, want := range map[ExitStatus]string{
		{Code: 0}:                    "exit status 0",
		{Code: 127}:                  "exit status 127",
		{Code: -1, Signal: "killed"}: "signal: killed",
		{Code: -1, Signal: "killed", OOMKilled: true}: "signal: killed",
	} {
		if got := st.Error(); got != want {
			t.Errorf("%+v.Error() = %q, want %q", st, got, want)
		}
	}
}

func FuzzParseMountinfo(f *testing.F) {
	f.Add(hybridMountinfo)
	f.Add(v2Mountinfo)
	f.Add("1 2 0:1 / / rw - ext4\n")
	f.Add("28 27 0:25 / /mnt/a\\040b ro - tmpfs x\\13 ro\n")
	f.Fuzz(func(t *testing.T, in string) {
		mounts, err := parseMountinfo(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, m := range mounts {
			if m.FSType == "" || strings.ContainsAny(m.FSType, " \n") {
				t.Errorf("bad fstype %q from %q", m.FSType, in)
			}
		}
	})
}

func FuzzParseProcCgroup(f *testing.F) {
	f.Add(hybridCgroup)
	f.Add(v2Cgroup)
	f.Add("0::/a:b\n1:cpu,cpuacct:/x\n")
	f.Fuzz(func(t *testing.T, in string) {
		members, err := parseProcCgroup(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, m := range members {
			if !strings.HasPrefix(m.Path, "/") || m.Hierarchy < 0 {
				t.Errorf("bad membership %+v from %q", m, in)
			}
		}
	})
}

func FuzzParseKeyValues(f *testing.F) {
	f.Add("low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n")
	f.Add("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
	f.Add("k  -9223372036854775808\n")
	f.Fuzz(func(t *testing.T, in string) {
		for k := range parseKeyValues([]byte(in)) {
			if strings.ContainsAny(k, " \n") {
				t.Errorf("key %q from %q", k, in)
			}
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Add("Name:\tsleep\nVmHWM:\t    1234 kB\nCapEff:\t000001fffeffffff\n")
	f.Add("VmHWM: 99999999999999999999 kB\n")
	f.Fuzz(func(t *testing.T, in string) {
		st := parseStatus([]byte(in))
		if b, ok := statusKB(st["VmHWM"]); ok && b < 0 {
			t.Errorf("negative VmHWM %d from %q", b, in)
		}
	})
}
