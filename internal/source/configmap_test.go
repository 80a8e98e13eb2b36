package source

import (
	"io/fs"
	"strings"
	"testing"
)

func TestFromConfigMaps(t *testing.T) {
	mounts := []ConfigMapFiles{
		{Name: "config", Data: map[string]string{"atmos.yaml": "base_path: ."}},
		{Name: "stacks", Path: "stacks/orgs/", Data: map[string]string{"a.yaml": "vars: {}", "b.yaml": "x: 1"}},
		{Name: "bin", Path: "./bin", BinaryData: map[string][]byte{"blob": {0, 1, 2}}},
	}
	got, err := FromConfigMaps(mounts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"atmos.yaml":         "base_path: .",
		"stacks/orgs/a.yaml": "vars: {}",
		"stacks/orgs/b.yaml": "x: 1",
		"bin/blob":           "\x00\x01\x02",
	}
	var files []string
	err = fs.WalkDir(got.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files = append(files, p)
		data, err := fs.ReadFile(got.FS, p)
		if err != nil {
			return err
		}
		if string(data) != want[p] {
			t.Errorf("%s = %q, want %q", p, data, want[p])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Errorf("files = %v, want %d files", files, len(want))
	}
	if !strings.HasPrefix(got.Revision, "sha256:") || len(got.Revision) != len("sha256:")+64 {
		t.Errorf("revision = %q, want sha256:<64 hex digits>", got.Revision)
	}

	reordered, err := FromConfigMaps([]ConfigMapFiles{
		{Name: "renamed-bin", Path: "bin", BinaryData: map[string][]byte{"blob": {0, 1, 2}}},
		mounts[1], mounts[0],
	})
	if err != nil {
		t.Fatal(err)
	}
	if reordered.Revision != got.Revision {
		t.Errorf("revision depends on ConfigMap order or names: %s != %s", reordered.Revision, got.Revision)
	}

	changed := append([]ConfigMapFiles{}, mounts...)
	changed[0] = ConfigMapFiles{Name: "config", Data: map[string]string{"atmos.yaml": "base_path: ./x"}}
	c, err := FromConfigMaps(changed)
	if err != nil {
		t.Fatal(err)
	}
	if c.Revision == got.Revision {
		t.Error("revision did not change with the data")
	}
	moved := append([]ConfigMapFiles{}, mounts...)
	moved[0] = ConfigMapFiles{Name: "config", Path: "etc", Data: mounts[0].Data}
	m, err := FromConfigMaps(moved)
	if err != nil {
		t.Fatal(err)
	}
	if m.Revision == got.Revision {
		t.Error("revision did not change with the mount path")
	}
}

func TestFromConfigMapsErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mounts []ConfigMapFiles
		want   string
	}{
		{"absolute path", []ConfigMapFiles{{Name: "a", Path: "/etc"}}, "must be relative"},
		{"escaping path", []ConfigMapFiles{{Name: "a", Path: "x/../../y"}}, "leaves the tree"},
		{"same file twice", []ConfigMapFiles{
			{Name: "a", Path: "s", Data: map[string]string{"f": "1"}},
			{Name: "b", Path: "s/", Data: map[string]string{"f": "2"}},
		}, "ConfigMaps a and b both place s/f"},
		{"file where a directory is mounted", []ConfigMapFiles{
			{Name: "a", Data: map[string]string{"stacks": "1"}},
			{Name: "b", Path: "stacks", Data: map[string]string{"f": "2"}},
		}, "which ConfigMap a places as a file"},
		{"directory where a file is placed", []ConfigMapFiles{
			{Name: "b", Path: "stacks", Data: map[string]string{"f": "2"}},
			{Name: "a", Data: map[string]string{"stacks": "1"}},
		}, "where ConfigMap b needs a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromConfigMaps(tc.mounts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
