package sandbox

import (
	"strings"
	"testing"
)

func TestFindHierarchy(t *testing.T) {
	mounts, err := parseMountinfo(strings.NewReader(hybridMountinfo))
	if err != nil {
		t.Fatal(err)
	}
	members, err := parseProcCgroup(strings.NewReader(hybridCgroup))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		controller, wantDir string
		ok                  bool
	}{
		{"", "/sys/fs/cgroup/unified", true},
		{"memory", "/sys/fs/cgroup/memory/process_api/403e8f6b48c5e2b04ecd33c012c3116f", true},
		{"pids", "/sys/fs/cgroup/pids", true},
		{"cpu", "", false}, // listed in /proc/self/cgroup, not mounted
		{"blkio", "", false},
	}
	for _, tt := range tests {
		mnt, own, ok := findHierarchy(mounts, members, tt.controller)
		if ok != tt.ok {
			t.Errorf("findHierarchy(%q) ok = %v", tt.controller, ok)
			continue
		}
		if ok && hierarchyDir(mnt, own) != tt.wantDir {
			t.Errorf("findHierarchy(%q) dir = %s, want %s", tt.controller, hierarchyDir(mnt, own), tt.wantDir)
		}
	}
}

func TestHierarchyDir(t *testing.T) {
	tests := []struct {
		root, mountpoint, own, want string
	}{
		{"/", "/sys/fs/cgroup", "/a/b", "/sys/fs/cgroup/a/b"},
		{"/a", "/sys/fs/cgroup", "/a/b", "/sys/fs/cgroup/b"},
		{"/a", "/sys/fs/cgroup", "/a", "/sys/fs/cgroup"},
		{"/a", "/sys/fs/cgroup", "/ab", "/sys/fs/cgroup"},  // not below the mount's root
		{"/", "/sys/fs/cgroup", "/../x", "/sys/fs/cgroup"}, // another namespace's view
		{"/", "/sys/fs/cgroup", "/", "/sys/fs/cgroup"},
	}
	for _, tt := range tests {
		if got := hierarchyDir(mountInfo{Root: tt.root, Mountpoint: tt.mountpoint}, tt.own); got != tt.want {
			t.Errorf("hierarchyDir(root %s, %s) = %s, want %s", tt.root, tt.own, got, tt.want)
		}
	}
}

func TestPlaceParent(t *testing.T) {
	tests := []struct {
		root, wantParent, wantBase string
	}{
		{"lambdad", "/cg/own/lambdad", "/cg/own"},
		{"a/b", "/cg/own/a/b", "/cg/own"},
		{"/lambdad", "/cg/lambdad", "/cg"},
	}
	for _, tt := range tests {
		parent, base := placeParent("/cg", "/cg/own", tt.root)
		if parent != tt.wantParent || base != tt.wantBase {
			t.Errorf("placeParent(%q) = %s, %s", tt.root, parent, base)
		}
	}
}
